//! HNSW graph tests: recall against brute force, the single-insert path
//! (`plan_insert`) the index AM uses, iterative search, and graph invariants.
//!
//! Slow checks are `#[ignore]`d; run them in release with
//! `cargo test -p quiver-core --release --test hnsw_graph -- --ignored --nocapture`.

use std::collections::HashSet;
use std::time::Instant;

use quiver_core::hnsw::*;
use quiver_core::kernels;

// ---------------------------------------------------------------- data ----

/// Per-coordinate standard deviation of points around their cluster centre
/// (centres are N(0,1) per coordinate, so clusters overlap noticeably).
fn spread() -> f64 {
    std::env::var("HNSW_TEST_SPREAD")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// `n` points in `dim` dimensions around `clusters` Gaussian centres
/// (centres ~ N(0, 1), points = centre + N(0, spread²)).
fn clustered(n: usize, dim: usize, clusters: usize, spread: f64, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64::new(seed);
    let centres: Vec<Vec<f64>> = (0..clusters)
        .map(|_| (0..dim).map(|_| rng.next_gaussian()).collect())
        .collect();
    (0..n)
        .map(|_| {
            let c = &centres[rng.below(clusters as u64) as usize];
            c.iter()
                .map(|&x| (x + spread * rng.next_gaussian()) as f32)
                .collect()
        })
        .collect()
}

fn d32(a: &[f32], b: &[f32]) -> f32 {
    kernels::f32::l2_squared(a, b) as f32
}

/// Exact top-k ids with the f64 reference kernel (ties by id).
fn brute_force(data: &[Vec<f32>], q: &[f32], k: usize) -> Vec<u64> {
    let mut all: Vec<(f64, u64)> = data
        .iter()
        .enumerate()
        .map(|(i, v)| (kernels::reference::l2_squared(v, q), i as u64))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all.into_iter().map(|x| x.1).collect()
}

fn recall<G: Graph + ?Sized>(
    g: &G,
    data: &[Vec<f32>],
    queries: &[Vec<f32>],
    ef: usize,
    k: usize,
) -> f64 {
    let mut visited = HashVisited::new();
    let mut hit = 0usize;
    for q in queries {
        let truth: HashSet<u64> = brute_force(data, q, k).into_iter().collect();
        let got = search(g, ef, k, &mut |id| d32(&data[id as usize], q), &mut visited);
        assert!(got.len() <= k);
        assert!(
            got.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()),
            "not ascending"
        );
        hit += got.iter().filter(|c| truth.contains(&c.id)).count();
    }
    hit as f64 / (queries.len() * k) as f64
}

fn build_mem(data: &[Vec<f32>], params: &HnswParams, seed: u64) -> MemGraph {
    let levels = random_levels(data.len(), params, seed);
    build_parallel(
        data.len(),
        &levels,
        params,
        &|a, b| d32(&data[a as usize], &data[b as usize]),
        &|_| {},
    )
}

// ------------------------------------------------- a sequential graph ----

/// A plain sequential graph grown only through `plan_insert`, like the AM does.
#[derive(Default)]
struct SimpleGraph {
    lists: Vec<Vec<Vec<u64>>>,
    entry: Option<(u64, usize)>,
}

impl Graph for SimpleGraph {
    fn entry(&self) -> Option<(NodeId, usize)> {
        self.entry
    }
    fn neighbors(&self, node: NodeId, level: usize, out: &mut Vec<NodeId>) {
        if let Some(l) = self.lists[node as usize].get(level) {
            out.extend_from_slice(l);
        }
    }
}

impl SimpleGraph {
    fn insert(
        &mut self,
        data: &[Vec<f32>],
        id: u64,
        level: usize,
        params: &HnswParams,
        visited: &mut HashVisited,
    ) {
        self.insert_excluding(data, id, level, params, visited, &HashSet::new());
    }

    /// Insert through `plan_insert_with`, never choosing an id in `deleted` as a neighbour.
    fn insert_excluding(
        &mut self,
        data: &[Vec<f32>],
        id: u64,
        level: usize,
        params: &HnswParams,
        visited: &mut HashVisited,
        deleted: &HashSet<u64>,
    ) {
        assert_eq!(id as usize, self.lists.len());
        let v = &data[id as usize];
        let exclude = |x: u64| deleted.contains(&x);
        let opts = InsertOpts { exclude: Some(&exclude), extra: None };
        let plan = plan_insert_with(
            &*self,
            id,
            level,
            params,
            &mut |x| d32(&data[x as usize], v),
            // pair_dist may be asked about the new node: data[id] exists already.
            &mut |a, b| d32(&data[a as usize], &data[b as usize]),
            visited,
            &opts,
        );
        assert_eq!(plan.new_neighbors.len(), level + 1);
        for list in &plan.new_neighbors {
            assert!(list.windows(2).all(|w| w[0].dist <= w[1].dist), "not ascending: {list:?}");
            assert!(list.iter().all(|c| !deleted.contains(&c.id)), "a deleted node was chosen: {list:?}");
        }
        self.lists.push(
            plan.new_neighbors
                .iter()
                .map(|l| l.iter().map(|c| c.id).collect())
                .collect(),
        );
        for u in plan.updates {
            assert!(u.level < self.lists[u.node as usize].len());
            self.lists[u.node as usize][u.level] = u.list;
        }
        if plan.new_entry {
            self.entry = Some((id, level));
        }
    }

    fn build(data: &[Vec<f32>], params: &HnswParams, seed: u64) -> Self {
        let levels = random_levels(data.len(), params, seed);
        let mut g = SimpleGraph::default();
        let mut visited = HashVisited::new();
        for (i, &l) in levels.iter().enumerate() {
            g.insert(data, i as u64, l, params, &mut visited);
        }
        g
    }
}

// ------------------------------------------------------- invariants ----

/// Degree bounds, no self links, no duplicate links, links only to nodes that
/// exist at that level. Returns the number of nodes reachable at level 0.
fn check_invariants<G: Graph + ?Sized>(
    g: &G,
    n: usize,
    node_level: &dyn Fn(u64) -> usize,
    params: &HnswParams,
) -> usize {
    let mut buf = Vec::new();
    let mut max_deg0 = 0;
    for node in 0..n as u64 {
        for level in 0..=node_level(node) {
            buf.clear();
            g.neighbors(node, level, &mut buf);
            assert!(
                buf.len() <= params.max_neighbors(level),
                "node {node} level {level} has {} links",
                buf.len()
            );
            assert!(
                !buf.contains(&node),
                "node {node} links to itself at level {level}"
            );
            let set: HashSet<_> = buf.iter().collect();
            assert_eq!(
                set.len(),
                buf.len(),
                "duplicate links at node {node} level {level}"
            );
            for &x in &buf {
                assert!(
                    (x as usize) < n && node_level(x) >= level,
                    "bad link {node}->{x} at level {level}"
                );
            }
            if level == 0 {
                max_deg0 = max_deg0.max(buf.len());
            }
        }
    }
    if let Some((ep, top)) = g.entry() {
        assert_eq!(node_level(ep), top, "entry level");
        for node in 0..n as u64 {
            assert!(node_level(node) <= top, "node above entry level");
        }
    }
    // Level-0 reachability from the entry point.
    let Some((ep, _)) = g.entry() else { return 0 };
    let mut seen = vec![false; n];
    let mut stack = vec![ep];
    seen[ep as usize] = true;
    let mut count = 1;
    while let Some(x) = stack.pop() {
        buf.clear();
        g.neighbors(x, 0, &mut buf);
        for &y in &buf {
            if !seen[y as usize] {
                seen[y as usize] = true;
                count += 1;
                stack.push(y);
            }
        }
    }
    count
}

fn drain_iterative<G: Graph + ?Sized>(
    g: &G,
    data: &[Vec<f32>],
    q: &[f32],
    ef: usize,
) -> Vec<Vec<Candidate>> {
    let mut it = IterativeSearch::new(g, ef, &mut |id| d32(&data[id as usize], q));
    let mut batches = Vec::new();
    loop {
        let b = it.next_batch(g, &mut |id| d32(&data[id as usize], q));
        if b.is_empty() {
            assert!(it.is_exhausted());
            break;
        }
        assert!(b.len() <= ef);
        assert!(
            b.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()),
            "batch not ascending"
        );
        batches.push(b);
        assert!(
            batches.len() <= data.len() + 1,
            "iterative search does not terminate"
        );
    }
    // Further calls stay empty.
    assert!(it
        .next_batch(g, &mut |id| d32(&data[id as usize], q))
        .is_empty());
    batches
}

// ------------------------------------------------------------ tests ----

#[test]
fn empty_graph() {
    let params = HnswParams::new(16, 64);
    let g = build_parallel(0, &[], &params, &|_, _| 0.0, &|_| {});
    assert_eq!(g.len(), 0);
    assert_eq!(g.entry_point(), None);
    let mut v = HashVisited::new();
    assert!(search(&g, 40, 10, &mut |_| 0.0, &mut v).is_empty());
    let mut it = IterativeSearch::new(&g, 10, &mut |_| 0.0);
    assert!(it.next_batch(&g, &mut |_| 0.0).is_empty());

    let s = SimpleGraph::default();
    let plan = plan_insert(&s, 7, 2, &params, &mut |_| 0.0, &mut |_, _| 0.0, &mut v);
    assert!(plan.new_entry);
    assert!(plan.updates.is_empty());
    assert_eq!(plan.new_neighbors.len(), 3);
    assert!(plan.new_neighbors.iter().all(|l| l.is_empty()));
}

#[test]
fn single_node() {
    let data = vec![vec![1.0f32, 2.0, 3.0]];
    let params = HnswParams::new(16, 64);
    for level in [0usize, 3] {
        let g = build_parallel(
            1,
            &[level],
            &params,
            &|a, b| d32(&data[a as usize], &data[b as usize]),
            &|_| {},
        );
        assert_eq!(g.entry_point(), Some((0, level)));
        assert_eq!(g.level(0), level);
        let q = [0.0f32, 0.0, 0.0];
        let mut v = BitVisited::new(1);
        let r = search(&g, 40, 10, &mut |id| d32(&data[id as usize], &q), &mut v);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].id, 0);
        assert_eq!(r[0].dist, 14.0);
        assert!(search(&g, 40, 0, &mut |id| d32(&data[id as usize], &q), &mut v).is_empty());
        let batches = drain_iterative(&g, &data, &q, 5);
        assert_eq!(batches, vec![vec![Candidate::new(14.0, 0)]]);
    }
}

#[test]
fn select_neighbors_diverse_and_bounded() {
    // Base point at the origin in 2-D; a tight cluster of 10 points at (1, 0) and
    // single points at (0, 1.5), (-1.7, 0), (0, -1.9).
    let mut pts: Vec<[f32; 2]> = (0..10).map(|i| [1.0 + 0.01 * i as f32, 0.0]).collect();
    pts.push([0.0, 1.5]);
    pts.push([-1.7, 0.0]);
    pts.push([0.0, -1.9]);
    let dist = |a: &[f32; 2], b: &[f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let mut cands: Vec<Candidate> = pts
        .iter()
        .enumerate()
        .map(|(i, p)| Candidate::new(dist(p, &[0.0, 0.0]), i as u64))
        .collect();
    cands.sort_by(Candidate::total_cmp);
    let mut pd = |a: u64, b: u64| dist(&pts[a as usize], &pts[b as usize]);
    for m in 0..=14 {
        let s = select_neighbors(&cands, m, &mut pd);
        assert!(s.len() <= m);
        assert_eq!(s.len(), m.min(cands.len()));
        assert!(s.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()));
    }
    // With m = 4 the heuristic picks one of the cluster plus the three singletons,
    // instead of the 4 nearest (all in the cluster).
    let s = select_neighbors(&cands, 4, &mut pd);
    let ids: HashSet<u64> = s.iter().map(|c| c.id).collect();
    assert_eq!(ids, [0u64, 10, 11, 12].into_iter().collect());
    // With m = 6 the two nearest pruned cluster members fill the list.
    let s = select_neighbors(&cands, 6, &mut pd);
    let ids: HashSet<u64> = s.iter().map(|c| c.id).collect();
    assert_eq!(ids, [0u64, 1, 2, 10, 11, 12].into_iter().collect());
}

#[test]
fn recall_parallel_build_3000x32() {
    let params = HnswParams::new(16, 64);
    // Queries are extra points from the same clusters, not in the index.
    let all = clustered(3100, 32, 50, spread(), 1);
    let (data, queries) = (&all[..3000], &all[3000..]);
    let t = Instant::now();
    let g = build_mem(data, &params, 7);
    let build = t.elapsed();
    let reach = check_invariants(&g, data.len(), &|x| g.level(x as u32), &params);
    let r = recall(&g, data, queries, 40, 10);
    eprintln!("parallel 3000x32: build {build:?}, recall@10 ef=40: {r:.4}, reachable {reach}/3000");
    assert!(r >= 0.95, "recall {r}");
    assert_eq!(reach, data.len(), "level 0 not connected");
}

#[test]
fn recall_plan_insert_sequential_2000x32() {
    let params = HnswParams::new(16, 64);
    let all = clustered(2100, 32, 50, spread(), 2);
    let (data, queries) = (&all[..2000], &all[2000..]);
    let levels = random_levels(data.len(), &params, 9);
    let g = SimpleGraph::build(data, &params, 9);
    let reach = check_invariants(&g, data.len(), &|x| levels[x as usize], &params);
    let r = recall(&g, data, queries, 40, 10);
    eprintln!("plan_insert 2000x32: recall@10 ef=40: {r:.4}, reachable {reach}/2000");
    assert!(r >= 0.95, "recall {r}");
    assert_eq!(reach, data.len(), "level 0 not connected");
}

#[test]
fn recall_parallel_build_1500x128() {
    let params = HnswParams::new(16, 64);
    let all = clustered(1600, 128, 50, spread(), 3);
    let (data, queries) = (&all[..1500], &all[1500..]);
    let g = build_mem(data, &params, 11);
    check_invariants(&g, data.len(), &|x| g.level(x as u32), &params);
    let r = recall(&g, data, queries, 40, 10);
    eprintln!("parallel 1500x128: recall@10 ef=40: {r:.4}");
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn duplicate_vectors() {
    // 600 copies of one point, 400 others scattered around it, and a second
    // block of 200 copies of another point.
    let params = HnswParams::new(8, 32);
    let mut data = vec![vec![0.5f32; 16]; 600];
    data.extend(clustered(400, 16, 5, 0.5, 4));
    data.extend(vec![vec![-2.0f32; 16]; 200]);
    let n = data.len();
    let g = build_mem(&data, &params, 13);
    let reach = check_invariants(&g, n, &|x| g.level(x as u32), &params);
    eprintln!("duplicates: reachable {reach}/{n}");
    assert_eq!(reach, n, "duplicates left nodes unreachable");
    let mut v = BitVisited::new(n);
    let q = vec![0.5f32; 16];
    let r = search(&g, 40, 10, &mut |id| d32(&data[id as usize], &q), &mut v);
    assert_eq!(r.len(), 10);
    assert!(r.iter().all(|c| c.dist == 0.0 && c.id < 600), "{r:?}");
    let q = vec![-2.0f32; 16];
    let r = search(&g, 40, 10, &mut |id| d32(&data[id as usize], &q), &mut v);
    assert!(r.iter().all(|c| c.dist == 0.0 && c.id >= 1000), "{r:?}");
    // The iterative scan reaches every reachable node exactly once.
    let batches = drain_iterative(&g, &data, &q, 40);
    let ids: Vec<u64> = batches.iter().flatten().map(|c| c.id).collect();
    let set: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len());
    assert_eq!(ids.len(), n);

    // And the sequential insert path copes too.
    let s = SimpleGraph::build(&data, &params, 13);
    let levels = random_levels(n, &params, 13);
    let reach = check_invariants(&s, n, &|x| levels[x as usize], &params);
    assert_eq!(
        reach, n,
        "duplicates left nodes unreachable (plan_insert path)"
    );
    let q = vec![0.5f32; 16];
    let mut hv = HashVisited::new();
    let r = search(&s, 40, 10, &mut |id| d32(&data[id as usize], &q), &mut hv);
    assert!(r.iter().all(|c| c.dist == 0.0 && c.id < 600), "{r:?}");
}

#[test]
fn iterative_returns_every_node_once() {
    let params = HnswParams::new(8, 40);
    let all = clustered(1010, 16, 20, 0.4, 5);
    let (data, queries) = (&all[..1000], &all[1000..]);
    let g = build_mem(data, &params, 17);
    let reach = check_invariants(&g, data.len(), &|x| g.level(x as u32), &params);
    assert_eq!(reach, data.len());
    let s = SimpleGraph::build(data, &params, 17);
    for (qi, q) in queries.iter().enumerate() {
        let ef = [1usize, 7, 40][qi % 3];
        for graph in [&g as &dyn Graph, &s as &dyn Graph] {
            let batches = drain_iterative(graph, data, q, ef);
            // First batch == search with k = ef.
            let mut v = HashVisited::new();
            let expect = search(graph, ef, ef, &mut |id| d32(&data[id as usize], q), &mut v);
            assert_eq!(batches[0], expect);
            let ids: Vec<u64> = batches.iter().flatten().map(|c| c.id).collect();
            let set: HashSet<u64> = ids.iter().copied().collect();
            assert_eq!(set.len(), ids.len(), "a node was returned twice");
            assert_eq!(set.len(), data.len(), "not every node was returned");
            // Roughly increasing: the batch means never fall far behind.
            let means: Vec<f32> = batches
                .iter()
                .map(|b| b.iter().map(|c| c.dist).sum::<f32>() / b.len() as f32)
                .collect();
            let inversions = means.windows(2).filter(|w| w[1] < w[0]).count();
            assert!(
                inversions * 4 <= means.len().max(4),
                "batches far from increasing: {means:?}"
            );
        }
    }
}

#[test]
fn search_layer_matches_contract() {
    // Small graph: search_layer returns at most ef, ascending, and includes the
    // entry when it is among the best.
    let params = HnswParams::new(4, 16);
    let data = clustered(200, 8, 4, 0.5, 6);
    let g = build_mem(&data, &params, 19);
    let q = data[17].clone();
    let mut v = BitVisited::new(200);
    let (ep, _) = g.entry().unwrap();
    let e = Candidate::new(d32(&data[ep as usize], &q), ep);
    for ef in [1usize, 3, 10, 500] {
        let r = search_layer(
            &g,
            &[e, e],
            ef,
            0,
            &mut |id| d32(&data[id as usize], &q),
            &mut v,
        );
        assert_eq!(r.len(), ef.min(200));
        assert!(r.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()));
        if ef == 500 {
            // Exhaustive: everything reachable, the query point itself first.
            assert_eq!(r[0].id, 17);
        }
    }
}

#[test]
fn plan_insert_reports_changed_lists_only() {
    let params = HnswParams::new(2, 8);
    let all = clustered(60, 4, 3, 0.5, 8);
    let mut g = SimpleGraph::default();
    let mut v = HashVisited::new();
    for i in 0..60u64 {
        let before = g.lists.clone();
        g.insert(&all, i, 0, &params, &mut v);
        // Every changed list must now contain the new node; unchanged ones are untouched.
        for (node, lists) in before.iter().enumerate() {
            if lists != &g.lists[node] {
                assert!(g.lists[node][0].contains(&i));
            }
        }
        let degree_ok = g
            .lists
            .iter()
            .all(|l| l[0].len() <= params.max_neighbors(0));
        assert!(degree_ok);
    }
}

// ------------------------------------------------------------- slow ----

#[test]
#[ignore]
fn recall_parallel_build_10000x32() {
    let params = HnswParams::new(16, 64);
    let all = clustered(10_200, 32, 50, spread(), 21);
    let (data, queries) = (&all[..10_000], &all[10_000..]);
    let t = Instant::now();
    let g = build_mem(data, &params, 23);
    let build = t.elapsed();
    let reach = check_invariants(&g, data.len(), &|x| g.level(x as u32), &params);
    let r = recall(&g, data, queries, 40, 10);
    eprintln!("parallel 10000x32: build {build:?}, recall@10 ef=40: {r:.4}, reachable {reach}");
    assert!(r >= 0.95, "recall {r}");
}

#[test]
#[ignore]
fn recall_parallel_build_5000x128() {
    let params = HnswParams::new(16, 64);
    let all = clustered(5_200, 128, 50, spread(), 25);
    let (data, queries) = (&all[..5_000], &all[5_000..]);
    let t = Instant::now();
    let g = build_mem(data, &params, 27);
    let build = t.elapsed();
    check_invariants(&g, data.len(), &|x| g.level(x as u32), &params);
    let r = recall(&g, data, queries, 40, 10);
    eprintln!("parallel 5000x128: build {build:?}, recall@10 ef=40: {r:.4}");
    assert!(r >= 0.95, "recall {r}");
}

#[test]
#[ignore]
fn recall_plan_insert_10000x32() {
    let params = HnswParams::new(16, 64);
    let all = clustered(10_200, 32, 50, spread(), 29);
    let (data, queries) = (&all[..10_000], &all[10_000..]);
    let t = Instant::now();
    let g = SimpleGraph::build(data, &params, 31);
    let build = t.elapsed();
    let r = recall(&g, data, queries, 40, 10);
    eprintln!("plan_insert 10000x32: build {build:?}, recall@10 ef=40: {r:.4}");
    assert!(r >= 0.95, "recall {r}");
}

/// Timing print (no assertion on time): 30,000 × 384 clustered, m = 16,
/// ef_construction = 64, on the global rayon pool (all cores).
#[test]
#[ignore]
fn perf_build_30000x384() {
    let params = HnswParams::new(16, 64);
    let all = clustered(30_200, 384, 100, spread(), 33);
    let (data, queries) = (&all[..30_000], &all[30_000..]);
    let levels = random_levels(data.len(), &params, 35);
    let t = Instant::now();
    let g = build_parallel(
        data.len(),
        &levels,
        &params,
        &|a, b| d32(&data[a as usize], &data[b as usize]),
        &|_| {},
    );
    let secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let r = recall(&g, data, queries, 40, 10);
    eprintln!(
        "perf 30000x384 m=16 ef_c=64 threads={}: build {secs:.2} s, recall@10 ef=40: {r:.4} ({} queries, {:.2} s incl. brute force)",
        rayon::current_num_threads(),
        queries.len(),
        t.elapsed().as_secs_f64()
    );
}

// ------------------------------------------- insert options, relinking, connectivity ----

#[test]
fn excluded_nodes_are_walked_but_never_chosen() {
    let params = HnswParams::new(8, 32);
    let data = clustered(1500, 16, 10, 0.4, 21);
    let levels = random_levels(data.len(), &params, 21);
    let mut g = SimpleGraph::default();
    let mut deleted = HashSet::new();
    for i in 0..data.len() {
        g.insert_excluding(&data, i as u64, levels[i], &params, &mut HashVisited::new(), &deleted);
        if i % 3 == 0 && i < 1000 {
            deleted.insert(i as u64); // deleted from now on: later inserts must avoid it
        }
    }
    // every node inserted after the deletions links to live nodes only at every level
    for node in 1000..data.len() as u64 {
        for level in 0..=levels[node as usize] {
            let mut out = Vec::new();
            g.neighbors(node, level, &mut out);
            assert!(out.iter().all(|x| !deleted.contains(x) || *x >= 1000), "node {node}: {out:?}");
        }
    }
}

#[test]
fn every_insert_gets_an_incoming_link() {
    // 50 exact copies of each of 8 points with tiny lists (m = 2): copies crowd each other out
    // of every full list; the plan must still leave each new node linked (at level 0) from
    // the nearest of its neighbours. Without that rule this fails at about the 20th insert.
    let params = HnswParams::new(2, 8);
    let mut data = Vec::new();
    for i in 0..400 {
        let base = (i % 8) as f32;
        data.push(vec![base, base * 0.5, 0.0, 0.0]);
    }
    let levels = random_levels(data.len(), &params, 5);
    let mut g = SimpleGraph::default();
    let none = HashSet::new();
    for i in 0..data.len() {
        g.insert_excluding(&data, i as u64, levels[i], &params, &mut HashVisited::new(), &none);
        if i > 0 {
            let linked = (0..i as u64).any(|x| g.lists[x as usize].first().is_some_and(|l| l.contains(&(i as u64))));
            assert!(linked, "node {i} has no incoming level-0 link");
        }
    }
}

#[test]
fn relinking_an_existing_node_uses_extra_candidates_and_skips_itself() {
    let params = HnswParams::new(8, 32);
    let data = clustered(800, 8, 5, 0.5, 3);
    let mut g = SimpleGraph::build(&data, &params, 3);
    // cut node 10 off: empty its lists and remove it from everyone else's
    let node = 10u64;
    let level = g.lists[node as usize].len() - 1;
    for l in g.lists.iter_mut() {
        for list in l.iter_mut() {
            list.retain(|&x| x != node);
        }
    }
    for list in g.lists[node as usize].iter_mut() {
        list.clear();
    }
    let extra: Vec<Vec<u64>> = (0..=level).map(|_| vec![11, 12]).collect();
    let opts = InsertOpts { exclude: None, extra: Some(&extra) };
    let v = &data[node as usize];
    let plan = plan_insert_with(
        &g,
        node,
        level,
        &params,
        &mut |x| d32(&data[x as usize], v),
        &mut |a, b| d32(&data[a as usize], &data[b as usize]),
        &mut HashVisited::new(),
        &opts,
    );
    assert!(!plan.new_entry || g.entry.is_some_and(|(e, _)| e == node));
    for list in &plan.new_neighbors {
        assert!(list.iter().all(|c| c.id != node), "the node is its own neighbour");
    }
    assert!(!plan.new_neighbors[0].is_empty());
    // at least one planned reverse link makes it reachable again
    assert!(plan.updates.iter().any(|u| u.level == 0 && u.list.contains(&node)));
    assert!(plan.nearest.windows(2).all(|w| w[0].total_cmp(&w[1]).is_le()));
}

/// A filtered walk returns every passing node exactly once and nothing else (so a filtered
/// scan run to the end is exact), and its first batch holds nearly the true filtered top k,
/// for selective (1%), broad (50%) and anti-correlated filters (the passing nodes form a
/// cluster far from the query).
#[test]
fn filtered_walk_returns_every_passing_node_once() {
    let params = HnswParams::new(8, 40);
    let all = clustered(2020, 16, 20, 0.4, 9);
    let (data, queries) = (&all[..2000], &all[2000..]);
    let g = build_mem(data, &params, 23);
    let far_cluster = |q: &[f32]| -> HashSet<u64> {
        // the 40 nodes farthest from the query
        let mut ids: Vec<u64> = (0..data.len() as u64).collect();
        ids.sort_by(|&a, &b| d32(&data[b as usize], q).total_cmp(&d32(&data[a as usize], q)));
        ids.into_iter().take(40).collect()
    };
    let (mut hits, mut wanted) = (0usize, 0usize);
    for q in queries {
        let filters: Vec<(String, HashSet<u64>)> = vec![
            ("1%".into(), (0..data.len() as u64).filter(|i| i % 100 == 7).collect()),
            ("50%".into(), (0..data.len() as u64).filter(|i| i % 2 == 0).collect()),
            ("anti-correlated".into(), far_cluster(q)),
            ("none".into(), HashSet::new()),
        ];
        for (name, pass) in &filters {
            let mut eval = |id: u64| (d32(&data[id as usize], q), pass.contains(&id));
            let mut s = FilteredSearch::new(&g, 10, &mut eval);
            let mut got = Vec::new();
            let mut first = None;
            loop {
                let b = s.next_batch(&g, &mut eval);
                if b.is_empty() {
                    assert!(s.is_exhausted());
                    break;
                }
                assert!(b.iter().all(|c| pass.contains(&c.id)), "{name}: a failing node was returned");
                assert!(b.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()), "{name}: batch not ascending");
                first.get_or_insert_with(|| b.clone());
                got.extend(b.iter().map(|c| c.id));
                assert!(got.len() <= data.len(), "{name}: does not terminate");
            }
            let set: HashSet<u64> = got.iter().copied().collect();
            assert_eq!(set.len(), got.len(), "{name}: a node was returned twice");
            assert_eq!(&set, pass, "{name}: not every passing node was returned");
            if pass.len() < 10 {
                // fewer passing nodes than ef: the first batch saw them all
                assert_eq!(first.as_ref().map_or(0, Vec::len), pass.len(), "{name}");
                assert!(s.is_exhausted());
            }
            // recall of the first batch against the exact filtered top 10
            let mut exact: Vec<u64> = pass.iter().copied().collect();
            exact.sort_by(|&a, &b| d32(&data[a as usize], q).total_cmp(&d32(&data[b as usize], q)).then(a.cmp(&b)));
            exact.truncate(10);
            let first: HashSet<u64> = first.unwrap_or_default().iter().map(|c| c.id).collect();
            hits += exact.iter().filter(|i| first.contains(i)).count();
            wanted += exact.len();
        }
    }
    let recall = hits as f64 / wanted as f64;
    assert!(recall >= 0.95, "filtered first-batch recall {recall}");

    // a budget pauses the walk (nothing returned, nothing lost); a larger one resumes it
    let q = &queries[0];
    let pass: HashSet<u64> = (0..data.len() as u64).filter(|i| i % 50 == 3).collect();
    let mut eval = |id: u64| (d32(&data[id as usize], q), pass.contains(&id));
    let mut s = FilteredSearch::new(&g, 10, &mut eval);
    s.set_budget(100);
    assert!(s.next_batch(&g, &mut eval).is_empty());
    assert!(s.over_budget() && s.visited_count() <= 100 + 2 * 8 * 2, "visited {}", s.visited_count());
    assert!(s.passed() <= s.visited_count());
    s.set_budget(usize::MAX);
    let mut got = HashSet::new();
    loop {
        let b = s.next_batch(&g, &mut eval);
        if b.is_empty() {
            break;
        }
        got.extend(b.iter().map(|c| c.id));
    }
    assert!(!s.over_budget() && s.is_exhausted());
    assert_eq!(got, pass);
    assert_eq!(s.passed(), pass.len());
}
