//! CREATE INDEX: collect the rows (within maintenance_work_mem, spilled beyond), train
//! k-means on a sample, assign every row to its nearest centroid on the build's threads
//! (plain Rust data only), then write each list's pages and the list heads.

use super::layout::{self, Entry, Head, Meta, HEAD_NAN, HEAD_NULL, HEAD_OVERFLOW, KIND_HEADS, KIND_LIST, KIND_OVERFLOW};
use super::pages;
use crate::am::common::attrs::{AttrColumns, Blobs};
use crate::am::common::build::{self, report_phase, report_tuples, Rows};
use crate::am::common::bulk::BulkWriter;
use crate::am::common::page::{self, Buf, Wal, BLCKSZ};
use crate::am::common::payload::{self, HeapTid};
use crate::am::common::{overflow, threads};
use pgrx::prelude::*;
use quiver_core::hnsw::SplitMix64;
use quiver_core::ivf::{self, KMeansError, KMeansParams, Objective};
use quiver_core::metric::{f32_distance, f32_elements, index_distance, Metric, VectorKind};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const PHASE_LOAD: i64 = build::FIRST_PHASE;
pub const PHASE_KMEANS: i64 = PHASE_LOAD + 1;
pub const PHASE_ASSIGN: i64 = PHASE_LOAD + 2;
pub const PHASE_WRITE: i64 = PHASE_LOAD + 3;

#[pg_guard]
pub unsafe extern "C-unwind" fn ambuildphasename(phase: i64) -> *mut std::ffi::c_char {
    build::phase_name(phase, &[c"loading tuples", c"performing k-means", c"assigning tuples", c"loading tuples into lists"])
}

/// Sample rows for k-means per list (and at least this many in all, when the table has them).
const SAMPLE_PER_LIST: usize = 50;
const SAMPLE_MIN: usize = 5_000;

/// What a build needs to know about the index.
#[derive(Clone, Copy)]
pub struct BuildSpec {
    pub kind: VectorKind,
    pub metric: Metric,
    pub dims: u32,
    pub lists: usize,
}

impl BuildSpec {
    pub fn of(index: pg_sys::Relation) -> BuildSpec {
        let (kind, metric) = payload::opclass_kernel(index, "ivfflat");
        if kind == VectorKind::Sparse {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, "ivfflat does not support sparsevec");
        }
        let dims = payload::column_dims(index, kind, "ivfflat");
        BuildSpec { kind, metric, dims, lists: super::options::lists(index) }
    }

    fn objective(&self) -> Objective {
        match self.metric {
            Metric::InnerProduct | Metric::Cosine => Objective::Spherical,
            _ => Objective::L2,
        }
    }
}

struct Collected {
    rows: Rows,
    nan: Vec<HeapTid>,
    nulls: Vec<HeapTid>,
    /// Attribute blobs of `rows`, `nan` and `nulls` (a multi-column index; empty otherwise).
    blobs: [Blobs; 3],
    used: usize,
    limit: usize,
    spec: BuildSpec,
}

impl Collected {
    fn add(&mut self, p: Option<&[u8]>, tid: HeapTid, attrs: &[u8]) {
        self.used += attrs.len() + if attrs.is_empty() { 0 } else { 8 };
        match p {
            None => {
                self.nulls.push(tid);
                self.blobs[2].push(attrs);
            }
            Some(p) if !payload::orderable(self.spec.kind, self.spec.metric, p) => {
                self.nan.push(tid);
                self.blobs[1].push(attrs);
            }
            Some(p) => {
                payload::check_query_dims(self.spec.kind, self.spec.dims, p);
                self.blobs[0].push(attrs);
                self.used += p.len() + Rows::PER_ROW;
                if self.used > self.limit && !self.rows.is_spilled() {
                    build::notice(
                        format!(
                            "ivfflat build reached maintenance_work_mem ({} MB) after {} tuples; vectors are kept in a temporary file from now on",
                            self.limit >> 20,
                            self.rows.len()
                        ),
                        None,
                    );
                    self.rows.spill();
                }
                self.rows.push(p, tid);
            }
        }
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambuild(
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    index_info: *mut pg_sys::IndexInfo,
) -> *mut pg_sys::IndexBuildResult {
    let began = std::time::Instant::now();
    let spec = BuildSpec::of(index);
    build::check_empty(index);
    let limit = build::memory_limit();
    let mut c = Collected {
        rows: Rows::for_heap(heap, limit),
        nan: Vec::new(),
        nulls: Vec::new(),
        blobs: Default::default(),
        used: 0,
        limit,
        spec,
    };
    report_phase(PHASE_LOAD);
    let started = std::time::Instant::now();
    let attrs = AttrColumns::of(index, "ivfflat");
    let attrs = (!attrs.is_empty()).then_some(&attrs);
    let heap_tuples = build::scan_heap(heap, index, index_info, attrs, &mut |p, tid, a| c.add(p, tid, a));
    c.rows.seal();
    pgrx::debug1!("ivfflat build: {} rows read in {:.3} s", c.rows.len(), started.elapsed().as_secs_f64());
    let total = c.rows.len() + c.nan.len() + c.nulls.len();
    write_index(index, &c);
    crate::jobs::metrics::built(index, began);
    build::build_result(heap_tuples, total as f64)
}

/// Elements of a payload as f32 (bits as 0/1), for k-means.
fn to_f32(kind: VectorKind, p: &[u8], out: &mut Vec<f32>) {
    match kind {
        VectorKind::F32 => match f32_elements(p) {
            Some(x) => out.extend_from_slice(x),
            None => out.extend(p[4..].chunks_exact(4).map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))),
        },
        VectorKind::F16 => out.extend(p[4..].chunks_exact(2).map(|b| quiver_core::f16::from_bits(u16::from_ne_bytes([b[0], b[1]])).to_f32())),
        VectorKind::Bit => {
            let bits = quiver_core::metric::payload_dims(kind, p);
            out.extend((0..bits).map(|i| ((p[4 + i / 8] >> (7 - i % 8)) & 1) as f32));
        }
        VectorKind::Sparse => {}
    }
}

/// A centroid as a payload of the index's kind.
fn centroid_payload(kind: VectorKind, c: &[f32]) -> Vec<u8> {
    let mut out = Vec::new();
    match kind {
        VectorKind::F32 | VectorKind::F16 => {
            out.extend_from_slice(&(c.len() as i16).to_ne_bytes());
            out.extend_from_slice(&0i16.to_ne_bytes());
            if kind == VectorKind::F32 {
                c.iter().for_each(|x| out.extend_from_slice(&x.to_ne_bytes()));
            } else {
                c.iter().for_each(|x| out.extend_from_slice(&quiver_core::f16::from_f32(*x).to_bits().to_ne_bytes()));
            }
        }
        VectorKind::Bit => {
            out.extend_from_slice(&(c.len() as i32).to_ne_bytes());
            let mut bytes = vec![0u8; c.len().div_ceil(8)];
            for (i, &x) in c.iter().enumerate() {
                if x >= 0.5 {
                    bytes[i / 8] |= 0x80 >> (i % 8);
                }
            }
            out.extend_from_slice(&bytes);
        }
        VectorKind::Sparse => {}
    }
    out
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x = (*x as f64 / n) as f32);
    }
}

/// Train the centroids on a sample of the rows: (as f32, flat; as payloads of the index's
/// kind).
fn train(c: &Collected, pool: &rayon::ThreadPool) -> (Vec<f32>, Vec<Vec<u8>>) {
    let spec = &c.spec;
    let n = c.rows.len();
    let dim = spec.dims as usize;
    // the sample stays within half of maintenance_work_mem
    let by_memory = (c.limit / 2 / (4 * dim.max(1))).max(spec.lists);
    let want = (spec.lists * SAMPLE_PER_LIST).max(SAMPLE_MIN).min(by_memory).min(n);
    let mut rng = SplitMix64::new(0x5156_4b4d ^ n as u64);
    // Floyd-style sample of `want` distinct rows, in row order
    let mut picked: Vec<usize> = if want >= n {
        (0..n).collect()
    } else {
        let mut set = std::collections::HashSet::with_capacity(want);
        for j in (n - want)..n {
            let t = rng.below(j as u64 + 1) as usize;
            if !set.insert(t) {
                set.insert(j);
            }
        }
        set.into_iter().collect()
    };
    picked.sort_unstable();
    let mut data = Vec::with_capacity(picked.len() * dim);
    for &i in &picked {
        let start = data.len();
        to_f32(spec.kind, c.rows.payload(i), &mut data);
        data.resize(start + dim, 0.0);
        if spec.metric == Metric::Cosine {
            normalize(&mut data[start..]);
        }
        pgrx::check_for_interrupts!();
    }
    report_phase(PHASE_KMEANS);
    report_tuples(Some(picked.len()), 0);
    let params = KMeansParams { k: spec.lists, iterations: 10, seed: 0x5156_4956, objective: spec.objective() };
    let trained = threads::run(pool, || ivf::train(&data, dim, &params, &threads::cancel_requested), || {});
    let centroids = match trained {
        Ok(c) => c,
        Err(KMeansError::Cancelled) => build::raise_cancelled(),
    };
    let payloads = (0..spec.lists).map(|l| centroid_payload(spec.kind, &centroids[l * dim..(l + 1) * dim])).collect();
    (centroids, payloads)
}

/// The nearest centroid of every row, computed on the build's threads.
/// `vector` rows under L2, inner product or cosine go through quiver-core's blocked
/// assignment kernel (the objective k-means trained with); other kinds and L1 compare each
/// centroid with the index's own distance.
fn assign(c: &Collected, flat: &[f32], centroids: &[Vec<u8>], pool: &rayon::ThreadPool) -> Vec<u32> {
    let spec = c.spec;
    let n = c.rows.len();
    report_phase(PHASE_ASSIGN);
    report_tuples(Some(n), 0);
    let dense: Option<Vec<&[f32]>> =
        (spec.kind == VectorKind::F32).then(|| centroids.iter().map(|p| f32_elements(p)).collect::<Option<Vec<_>>>()).flatten();
    let done = AtomicUsize::new(0);
    let payloads: Vec<&[u8]> = (0..n).map(|i| c.rows.payload(i)).collect();
    let dim = spec.dims as usize;
    let blocked = match (spec.kind, spec.metric) {
        (VectorKind::F32, Metric::L2 | Metric::InnerProduct | Metric::Cosine) if flat.len() == centroids.len() * dim => {
            Some(spec.objective())
        }
        _ => None,
    };
    let work = || -> Result<Vec<u32>, KMeansError> {
        payloads
            .par_chunks(1024)
            .map(|chunk| {
                if threads::cancel_requested() {
                    return Err(KMeansError::Cancelled);
                }
                if let Some(objective) = blocked {
                    let mut rows = Vec::with_capacity(chunk.len() * dim);
                    for p in chunk {
                        match f32_elements(p) {
                            Some(x) if x.len() == dim => rows.extend_from_slice(x),
                            _ => rows.resize(rows.len() + dim, f32::NAN),
                        }
                    }
                    let lists = ivf::assign(&rows, dim, flat, objective, &threads::cancel_requested)?;
                    done.fetch_add(chunk.len(), Ordering::Relaxed);
                    return Ok(lists.into_iter().map(|l| l.min(centroids.len().saturating_sub(1)) as u32).collect());
                }
                let out: Vec<u32> = chunk
                    .iter()
                    .map(|p| {
                        let row = if dense.is_some() { f32_elements(p) } else { None };
                        let mut best = (f32::INFINITY, 0u32);
                        for (l, cp) in centroids.iter().enumerate() {
                            let d = match (&dense, row) {
                                (Some(cs), Some(r)) => f32_distance(spec.metric, cs[l], r),
                                _ => index_distance(spec.kind, spec.metric, cp, p),
                            };
                            if d < best.0 {
                                best = (d, l as u32);
                            }
                        }
                        best.1
                    })
                    .collect();
                done.fetch_add(chunk.len(), Ordering::Relaxed);
                Ok(out)
            })
            .collect::<Result<Vec<Vec<u32>>, _>>()
            .map(|v| v.concat())
    };
    match threads::run(pool, work, || report_tuples(None, done.load(Ordering::Relaxed))) {
        Ok(a) => a,
        Err(KMeansError::Cancelled) => build::raise_cancelled(),
    }
}

/// Builds list pages in memory. A list's pages are consecutive blocks: each full page names
/// the block after it and is appended to the index.
struct ListWriter {
    bulk: BulkWriter,
    image: Vec<u8>,
    first: u32,
    item: Vec<u8>,
}

impl ListWriter {
    fn fresh_image(&mut self) {
        self.image.fill(0);
        page::init_page(self.image.as_mut_ptr() as pg_sys::Page, KIND_LIST);
    }

    /// Start a list: its first page is the next block (every list has one, even empty).
    fn start(&mut self) {
        self.fresh_image();
        self.first = self.bulk.next_block();
    }

    /// Add an entry: the payload inline, or the chain at `chain` holding it; then `attrs`.
    fn add(&mut self, tid: HeapTid, p: &[u8], chain: Option<u32>, attrs: &[u8]) {
        Entry::write(&mut self.item, tid, p.len(), Some(p), chain, attrs);
        let pg = self.image.as_mut_ptr() as pg_sys::Page;
        if page::add_item(pg, &self.item).is_some() {
            return;
        }
        // page full: it names the next block, where the list goes on
        page::set_next_block(pg, self.bulk.next_block() + 1);
        self.bulk.append(&self.image);
        self.fresh_image();
        if page::add_item(self.image.as_mut_ptr() as pg_sys::Page, &self.item).is_none() {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "ivfflat build: an entry does not fit on a page");
        }
    }

    /// Finish the list: (first page, last page).
    fn finish(&mut self) -> (u32, u32) {
        let last = self.bulk.append(&self.image);
        (self.first, last)
    }
}

/// Write the whole index: meta page, the chains of vectors larger than a page, lists, the
/// chains of large centroids, heads. All but the meta page are written by a [`BulkWriter`].
fn write_index(index: pg_sys::Relation, c: &Collected) {
    let spec = c.spec;
    let mut meta = Meta {
        magic: layout::MAGIC,
        version: layout::VERSION,
        dims: spec.dims,
        lists: spec.lists as u32,
        heads_blk: 0,
        head_pages: 0,
        build_id: build_id(),
    };
    pages::init_meta(index, pg_sys::ForkNumber::MAIN_FORKNUM, &meta);
    let started = std::time::Instant::now();
    let pool = threads::pool(threads::build_threads());
    let (flat, centroids) = train(c, &pool);
    pgrx::debug1!("ivfflat build: k-means in {:.3} s", started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    let assigned = assign(c, &flat, &centroids, &pool);
    drop(pool);
    pgrx::debug1!("ivfflat build: rows assigned in {:.3} s", started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();

    // rows grouped by list (counting sort, heap order within a list)
    let mut starts = vec![0usize; spec.lists + 1];
    for &a in &assigned {
        starts[a as usize + 1] += 1;
    }
    for l in 0..spec.lists {
        starts[l + 1] += starts[l];
    }
    let mut order = vec![0u32; assigned.len()];
    let mut fill = starts.clone();
    for (i, &a) in assigned.iter().enumerate() {
        order[fill[a as usize]] = i as u32;
        fill[a as usize] += 1;
    }
    drop(assigned);

    report_phase(PHASE_WRITE);
    report_tuples(Some(c.rows.len() + c.nan.len() + c.nulls.len()), 0);
    let mut bulk = BulkWriter::new(index);
    // vectors larger than a page: their chains first, in list order
    let mut chains: Vec<u32> = Vec::new();
    let overflows = |i: usize| layout::entry_overflows(c.rows.payload(i).len(), c.blobs[0].get(i).len());
    if (0..c.rows.len()).any(overflows) {
        chains = vec![pg_sys::InvalidBlockNumber; c.rows.len()];
        for (k, &i) in order.iter().enumerate() {
            let p = c.rows.payload(i as usize);
            if overflows(i as usize) {
                chains[i as usize] = overflow::append_chain(&mut bulk, KIND_OVERFLOW, p);
            }
            if k % 1024 == 0 {
                pgrx::check_for_interrupts!();
            }
        }
    }
    let mut ends: Vec<(u32, u32)> = Vec::with_capacity(spec.lists + 2);
    let mut w = ListWriter { bulk, image: vec![0u8; BLCKSZ], first: 0, item: Vec::new() };
    let mut done = 0usize;
    for l in 0..spec.lists {
        w.start();
        for &i in &order[starts[l]..starts[l + 1]] {
            let chain = chains.get(i as usize).copied().filter(|&b| b != pg_sys::InvalidBlockNumber);
            w.add(c.rows.tids[i as usize], c.rows.payload(i as usize), chain, c.blobs[0].get(i as usize));
            done += 1;
            if done % 1024 == 0 {
                report_tuples(None, done);
                pgrx::check_for_interrupts!();
            }
        }
        ends.push(w.finish());
    }
    for (tids, blobs) in [(&c.nan, &c.blobs[1]), (&c.nulls, &c.blobs[2])] {
        w.start();
        for (k, &t) in tids.iter().enumerate() {
            w.add(t, &[], None, blobs.get(k));
        }
        done += tids.len();
        ends.push(w.finish());
    }
    report_tuples(None, done);
    let mut bulk = w.bulk;

    // heads: centroid chains first (when large), then the head pages
    let mut heads: Vec<(Head, Vec<u8>)> = Vec::with_capacity(spec.lists + 2);
    for l in 0..spec.lists + 2 {
        let (first, last) = ends[l];
        let mut head = Head { flags: 0, first, insert: last, centroid_len: 0, overflow: pg_sys::InvalidBlockNumber };
        let mut inline = Vec::new();
        if l < spec.lists {
            let cp = &centroids[l];
            head.centroid_len = cp.len() as u32;
            if layout::head_overflows(cp.len()) {
                head.flags |= HEAD_OVERFLOW;
                head.overflow = overflow::append_chain(&mut bulk, KIND_OVERFLOW, cp);
            } else {
                inline = cp.clone();
            }
        } else {
            head.flags |= if l == spec.lists { HEAD_NAN } else { HEAD_NULL };
        }
        heads.push((head, inline));
    }
    let (heads_blk, head_pages) = write_heads(&mut bulk, &heads);
    bulk.finish();
    pgrx::debug1!("ivfflat build: pages written in {:.3} s", started.elapsed().as_secs_f64());
    meta.heads_blk = heads_blk;
    meta.head_pages = head_pages;
    pages::update_meta(index, &meta);
}

/// Append the head pages (consecutive blocks); returns (first block, pages).
fn write_heads(bulk: &mut BulkWriter, heads: &[(Head, Vec<u8>)]) -> (u32, u32) {
    let mut item = Vec::new();
    let mut image = vec![0u8; BLCKSZ];
    let first = bulk.next_block();
    let mut count = 0u32;
    let mut i = 0;
    while i < heads.len() {
        image.fill(0);
        let p = image.as_mut_ptr() as pg_sys::Page;
        page::init_page(p, KIND_HEADS);
        let mut on_page = 0;
        while i < heads.len() {
            heads[i].0.write(&mut item, &heads[i].1);
            if page::add_item(p, &item).is_none() {
                break;
            }
            on_page += 1;
            i += 1;
        }
        if on_page == 0 {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "ivfflat build: a list head does not fit on a page");
        }
        bulk.append(&image);
        count += 1;
    }
    (first, count)
}

/// A build id: random enough that two builds of one index never share it.
fn build_id() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut r = SplitMix64::new(t ^ ((unsafe { pg_sys::MyProcPid } as u64) << 32));
    r.next_u64()
}

/// The init fork of an UNLOGGED index: an empty index with one list (a zero centroid) and the
/// two lists for rows without a distance, so that after a crash or a promotion the reset
/// index takes inserts (REINDEX it once it holds data, to train its lists).
#[pg_guard]
pub unsafe extern "C-unwind" fn ambuildempty(index: pg_sys::Relation) {
    let spec = BuildSpec::of(index);
    let fork = pg_sys::ForkNumber::INIT_FORKNUM;
    let new_page = |kind: u16, items: &[Vec<u8>]| -> u32 {
        let buf = Buf::extend(index, fork);
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, true);
        page::init_page(p, kind);
        for item in items {
            page::add_item(p, item);
        }
        wal.finish();
        buf.blkno()
    };
    // block 0 meta, 1-3 the three lists' pages, 4 the heads, 5.. a large centroid's chain
    let meta = Meta { magic: layout::MAGIC, version: layout::VERSION, dims: spec.dims, lists: 1, heads_blk: 4, head_pages: 1, build_id: 0 };
    new_page(layout::KIND_META, &[meta.to_bytes()]);
    let firsts: Vec<u32> = (0..3).map(|_| new_page(KIND_LIST, &[])).collect();
    let zero = centroid_payload(spec.kind, &vec![0.0; spec.dims as usize]);
    let big = layout::head_overflows(zero.len());
    let items: Vec<Vec<u8>> = (0..3)
        .map(|l| {
            let mut h = Head { flags: [0, HEAD_NAN, HEAD_NULL][l], first: firsts[l], insert: firsts[l], centroid_len: 0, overflow: pg_sys::InvalidBlockNumber };
            let mut inline: &[u8] = &[];
            if l == 0 {
                h.centroid_len = zero.len() as u32;
                if big {
                    h.flags |= HEAD_OVERFLOW;
                    h.overflow = 5;
                } else {
                    inline = &zero;
                }
            }
            let mut item = Vec::new();
            h.write(&mut item, inline);
            item
        })
        .collect();
    new_page(KIND_HEADS, &items);
    if big {
        let chunks: Vec<&[u8]> = zero.chunks(overflow::CHUNK).collect();
        for (k, chunk) in chunks.iter().enumerate() {
            let buf = Buf::extend(index, fork);
            let next = if k + 1 < chunks.len() { buf.blkno() + 1 } else { pg_sys::InvalidBlockNumber };
            overflow::write_page(index, &buf, KIND_OVERFLOW, chunk, next);
        }
    }
    page::log_fork(index, fork);
}
