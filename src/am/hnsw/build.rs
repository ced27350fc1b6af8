//! CREATE INDEX: read the heap, build the graph in memory on the build's own threads (plain Rust
//! data only), then lay the nodes out on pages and write them with Generic WAL.
//!
//! Rows whose vectors are byte-for-byte equal become one element holding all their heap TIDs
//! (duplicates stay findable and cost one node). NULL vectors, and zero vectors under cosine
//! distance, become elements outside the graph.

use super::layout::{node_id, HeapTid, NewNode, Node, KIND_ATTRS, KIND_FENCES, KIND_KEYS, KIND_NODES, KIND_OVERFLOW, MAX_TIDS};
use quiver_core::attrs::{column_keys, decode, sort_key};
use super::spec::IndexSpec;
use super::write;
use crate::am::common::attrs::{AttrColumns, Blobs};
use crate::am::common::bulk::BulkWriter;
use crate::am::common::overflow;
use crate::am::common::page::{self, BLCKSZ, SPECIAL_SIZE};
use crate::am::common::build::{self, report_phase, report_tuples, Rows};
use crate::am::common::payload;
use crate::am::common::spill::TempFile;
use crate::am::common::threads;
use pgrx::prelude::*;
use quiver_core::hnsw::{build_parallel_with, link_bytes_per_node, random_levels, BuildError, BuildFns};
use quiver_core::metric::{f32_distance, f32_elements, index_distance, prefetch, VectorKind};
use quiver_core::quant;
use std::hash::Hasher;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Build sub-phases reported in pg_stat_progress_create_index (after PostgreSQL's "initializing").
pub const PHASE_LOAD: i64 = build::FIRST_PHASE;
pub const PHASE_GRAPH: i64 = PHASE_LOAD + 1;
pub const PHASE_WRITE: i64 = PHASE_LOAD + 2;
pub const PHASE_INSERT: i64 = PHASE_LOAD + 3;

#[pg_guard]
pub unsafe extern "C-unwind" fn ambuildphasename(phase: i64) -> *mut std::ffi::c_char {
    build::phase_name(
        phase,
        &[c"loading tuples", c"building graph", c"writing pages", c"inserting tuples beyond maintenance_work_mem"],
    )
}

/// Estimated memory per row besides its vector and level-0 links: offsets, heap TID, hash,
/// level, grouping, upper-level lists (on average).
const BOOKKEEPING: usize = 64;

/// Vectors read from the heap: payload bytes in one arena.
struct Collected {
    rows: Rows,
    hashes: Vec<u64>,
    /// Whether the index has attribute columns (then `blobs`, `outside_blobs` and `null_blobs`
    /// hold one blob per row of `rows`, `outside` and `nulls`).
    multi: bool,
    blobs: Blobs,
    /// Rows the graph cannot order: with no distance under the metric, and NULL.
    outside: Vec<HeapTid>,
    nulls: Vec<HeapTid>,
    outside_blobs: Blobs,
    null_blobs: Blobs,
    spec: IndexSpec,
    /// maintenance_work_mem in bytes: the in-memory graph build stays below it.
    limit: usize,
    /// Estimated bytes the in-memory build needs so far.
    used: usize,
    /// Set once even the graph's bookkeeping reached the limit: remaining rows go through the
    /// on-disk insert path.
    on_disk: bool,
    total: usize,
}

impl Collected {
    fn payload(&self, i: usize) -> &[u8] {
        self.rows.payload(i)
    }

    fn attrs(&self, i: usize) -> &[u8] {
        if self.multi {
            self.blobs.get(i)
        } else {
            &[]
        }
    }

    /// Estimated memory of one more row with a payload of `len` bytes (once spilled, its
    /// vector and level-0 links live in temporary files).
    fn cost(&self, len: usize) -> usize {
        BOOKKEEPING + if self.rows.is_spilled() { 0 } else { len + link_bytes_per_node(&self.spec.params) }
    }

    fn add(&mut self, index: pg_sys::Relation, payload: Option<&[u8]>, tid: HeapTid, attrs: &[u8]) {
        self.total += 1;
        let Some(payload) = payload.filter(|p| payload::orderable(self.spec.kind, self.spec.metric, p)) else {
            if self.on_disk {
                super::insert::insert_row(index, &self.spec, payload, tid, attrs);
            } else {
                if payload.is_some() {
                    self.outside.push(tid);
                    self.outside_blobs.push(attrs);
                } else {
                    self.nulls.push(tid);
                    self.null_blobs.push(attrs);
                }
                self.used += 16 + attrs.len();
            }
            return;
        };
        if !self.on_disk && !self.rows.is_spilled() && self.used + self.cost(payload.len()) > self.limit && !self.rows.is_empty() {
            // 1. vectors move to a temporary file; the graph is still built in memory
            build::notice(
                format!(
                    "hnsw build reached maintenance_work_mem ({} MB) after {} tuples; vectors and links are kept in temporary files from now on",
                    self.limit >> 20,
                    self.rows.len()
                ),
                None,
            );
            self.rows.spill();
            self.used = self.rows.len() * BOOKKEEPING + (self.outside.len() + self.nulls.len()) * 8;
        }
        if !self.on_disk && self.used + self.cost(payload.len()) > self.limit && !self.rows.is_empty() {
            // 2. not even the bookkeeping fits: insert the rest one at a time into the graph
            build::notice(
                format!(
                    "hnsw graph reached maintenance_work_mem ({} MB) after {} tuples; the remaining tuples are inserted one at a time, which is slower",
                    self.limit >> 20,
                    self.rows.len()
                ),
                Some("Increase maintenance_work_mem to build the whole graph in memory."),
            );
            self.rows.seal();
            write_graph(index, self);
            self.rows = Rows::default();
            self.hashes = Vec::new();
            self.blobs = Blobs::default();
            self.outside = Vec::new();
            self.nulls = Vec::new();
            self.outside_blobs = Blobs::default();
            self.null_blobs = Blobs::default();
            self.on_disk = true;
            report_phase(PHASE_INSERT);
        }
        if self.on_disk {
            super::insert::insert_row(index, &self.spec, Some(payload), tid, attrs);
            return;
        }
        self.used += self.cost(payload.len()) + attrs.len();
        self.rows.push(payload, tid); // 8-byte aligned
        let mut h = std::hash::DefaultHasher::new();
        h.write(payload);
        if self.multi {
            h.write(attrs);
            self.blobs.push(attrs);
        }
        self.hashes.push(h.finish());
    }
}


#[pg_guard]
pub unsafe extern "C-unwind" fn ambuild(
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    index_info: *mut pg_sys::IndexInfo,
) -> *mut pg_sys::IndexBuildResult {
    let began = std::time::Instant::now();
    let spec = IndexSpec::for_build(index);
    build::check_empty(index);
    let attrs = AttrColumns::of(index, "hnsw");
    let limit = build::memory_limit();
    let mut c = Collected {
        rows: Rows::for_heap(heap, limit),
        hashes: Vec::new(),
        multi: !attrs.is_empty(),
        blobs: Blobs::default(),
        outside: Vec::new(),
        nulls: Vec::new(),
        outside_blobs: Blobs::default(),
        null_blobs: Blobs::default(),
        spec,
        limit,
        used: 0,
        on_disk: false,
        total: 0,
    };
    report_phase(PHASE_LOAD);
    let attrs = (!attrs.is_empty()).then_some(&attrs);
    let heap_tuples = build::scan_heap(heap, index, index_info, attrs, &mut |p, tid, a| c.add(index, p, tid, a));
    if !c.on_disk {
        c.rows.seal();
        write_graph(index, &c);
    }
    crate::jobs::metrics::built(index, began);
    build::build_result(heap_tuples, c.total as f64)
}

/// Graph elements: each distinct vector (its first row) with the rows that share it.
struct Elements {
    /// Per element: (row whose payload it stores, range in `rows`).
    elems: Vec<(u32, std::ops::Range<usize>)>,
    /// Rows grouped by element.
    rows: Vec<u32>,
}

/// Group rows with byte-for-byte equal vectors and attributes (at most MAX_TIDS rows per
/// element).
fn group_duplicates(c: &Collected) -> Elements {
    let n = c.rows.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by_key(|&i| (c.hashes[i as usize], i));
    let mut elems = Vec::new();
    let mut rows = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let h = c.hashes[order[i] as usize];
        let mut j = i;
        while j < n && c.hashes[order[j] as usize] == h {
            j += 1;
        }
        // rows i..j share a hash; split them into runs of equal payloads
        let mut pending: Vec<u32> = order[i..j].to_vec();
        while let Some(&first) = pending.first() {
            let (p, a) = (c.payload(first as usize), c.attrs(first as usize));
            let (same, rest): (Vec<u32>, Vec<u32>) =
                pending.iter().partition(|&&r| c.payload(r as usize) == p && c.attrs(r as usize) == a);
            for chunk in same.chunks(MAX_TIDS) {
                let start = rows.len();
                rows.extend_from_slice(chunk);
                elems.push((chunk[0], start..rows.len()));
            }
            pending = rest;
        }
        i = j;
    }
    // elements in heap order of their first row (pages then follow the table's order)
    elems.sort_unstable_by_key(|e| e.0);
    Elements { elems, rows }
}

/// Build the graph over the collected vectors and write every page.
fn write_graph(index: pg_sys::Relation, c: &Collected) {
    let spec = &c.spec;
    let el = group_duplicates(c);
    let n = el.elems.len();
    let payload_of = |e: u32| c.payload(el.elems[e as usize].0 as usize);
    let (kind, metric) = (spec.kind, spec.metric);
    report_phase(PHASE_GRAPH);
    report_tuples(Some(n), 0);
    let started = std::time::Instant::now();
    let levels = random_levels(n, &spec.params, 0x5155_4956_4552 ^ n as u64);
    // `vector` columns: borrow every vector's f32 elements once instead of decoding payloads
    // on each of the millions of distance evaluations.
    let dense: Option<Vec<&[f32]>> = (kind == VectorKind::F32)
        .then(|| (0..n as u32).map(|e| f32_elements(payload_of(e))).collect::<Option<Vec<_>>>())
        .flatten();
    let pair_distance = |a: u32, b: u32| match &dense {
        Some(v) => f32_distance(metric, v[a as usize], v[b as usize]),
        None => index_distance(kind, metric, payload_of(a), payload_of(b)),
    };
    // The graph walk that finds each node's candidates runs over SQ8 copies of the vectors
    // (a quarter of the memory traffic) when they fit in maintenance_work_mem; candidates
    // are re-scored exactly before links are chosen.
    let dim = dense.as_ref().and_then(|v| v.first()).map_or(0, |v| v.len());
    let sq8 = match (&dense, quant::code_distance(metric)) {
        (Some(v), Some(f)) if c.used + n * dim <= c.limit => quant::CodeTable::encode(v).map(|t| (t, f)),
        _ => None,
    };
    let approx = sq8.as_ref().map(|(t, f)| move |a: u32, b: u32| f(t.row(a as usize), t.row(b as usize)));
    let prefetch_node = |a: u32| match &sq8 {
        Some((t, _)) => prefetch(t.row_bytes(a as usize)),
        None => prefetch(payload_of(a)),
    };
    // Level-0 links of a build whose vectors spilled go to a temporary file as well, written
    // (allocated) here so that a full disk is an error now rather than a fault later.
    let link_file = c.rows.is_spilled().then(|| {
        let mut f = TempFile::create();
        f.append_zeros((n * link_bytes_per_node(&spec.params)) as u64);
        f
    });
    let link_std = link_file.as_ref().map(TempFile::std_file);
    let done = AtomicUsize::new(0);
    let fns = BuildFns {
        pair_dist: &pair_distance,
        search_dist: approx.as_ref().map(|f| f as &(dyn Fn(u32, u32) -> f32 + Sync)),
        prefetch: &prefetch_node,
        progress: &|d: usize| done.store(d, Ordering::Relaxed),
        cancelled: &threads::cancel_requested,
        link_file: link_std.as_ref(),
    };
    let pool = threads::pool(threads::build_threads());
    let built = threads::run(&pool, || build_parallel_with(n, &levels, &spec.params, &fns), || report_tuples(None, done.load(Ordering::Relaxed)));
    drop(pool);
    let graph = match built {
        Ok(g) => g,
        // back on the backend's thread with the workers stopped
        Err(BuildError::Cancelled) => build::raise_cancelled(),
        Err(BuildError::LinkFile(e)) => crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_IO_ERROR,
            format!("could not map temporary file for index build: {e}"),
        ),
    };
    pgrx::debug1!("hnsw build: graph of {n} elements in {:.3} s", started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();

    // Lay items out on pages (block 1 onwards) so every node has its id before writing:
    // graph elements, then the elements outside the graph.
    let layout = spec.layout;
    let tids_of = |e: usize| -> Vec<HeapTid> { el.rows[el.elems[e].1.clone()].iter().map(|&r| c.rows.tids[r as usize]).collect() };
    let attrs_of = |e: usize| c.attrs(el.elems[e].0 as usize);
    // elements outside the graph: up to MAX_TIDS rows each, or one row each with attributes
    let per_outside = if c.multi { 1 } else { MAX_TIDS };
    let outside: Vec<(&[HeapTid], bool, &[u8])> = c
        .outside
        .chunks(per_outside)
        .enumerate()
        .map(|(i, t)| (t, false, if c.multi { c.outside_blobs.get(i) } else { &[][..] }))
        .chain(c.nulls.chunks(per_outside).enumerate().map(|(i, t)| (t, true, if c.multi { c.null_blobs.get(i) } else { &[][..] })))
        .collect();
    let sizes: Vec<(usize, bool)> = (0..n)
        .map(|e| {
            let t = el.elems[e].1.len();
            let len = payload_of(e as u32).len();
            let a = attrs_of(e).len();
            let overflow = write::needs_overflow(&layout, t, levels[e], len, a);
            (layout.item_size(t, levels[e], len, overflow) + a, overflow)
        })
        .chain(outside.iter().map(|(t, _, a)| (layout.outside_size(t.len()) + a.len(), false)))
        .collect();
    let header = std::mem::size_of::<pg_sys::PageHeaderData>();
    let mut ids = Vec::with_capacity(sizes.len());
    let mut pages: Vec<Vec<usize>> = Vec::new();
    let mut used = BLCKSZ; // force a new page first
    for (i, &(size, _)) in sizes.iter().enumerate() {
        let need = 4 + ((size + 7) & !7);
        if used + need > BLCKSZ - SPECIAL_SIZE {
            pages.push(Vec::new());
            used = header;
        }
        used += need;
        let page_no = pages.len() as u32; // block = page_no (block 0 is the meta page)
        let last = pages.last_mut().expect("a page was pushed");
        last.push(i);
        ids.push(node_id(page_no, last.len() as u16));
    }

    write::init_meta(index, pg_sys::ForkNumber::MAIN_FORKNUM, &spec.new_meta());
    report_phase(PHASE_WRITE);
    report_tuples(Some(sizes.len()), 0);
    let first_overflow = pages.len() as u32 + 1;
    let mut overflow_at = vec![None; n];
    {
        let mut next_blk = first_overflow;
        for e in 0..n {
            if sizes[e].1 {
                overflow_at[e] = Some(next_blk);
                next_blk += payload_of(e as u32).len().div_ceil(write::CHUNK) as u32;
            }
        }
    }
    let mut item = Vec::new();
    let mut list = Vec::new();
    let mut bulk = BulkWriter::new(index);
    let mut image = vec![0u8; BLCKSZ];
    for (p, members) in pages.iter().enumerate() {
        if bulk.next_block() != p as u32 + 1 {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: page layout mismatch");
        }
        image.fill(0);
        let pg = image.as_mut_ptr() as pg_sys::Page;
        page::init_page(pg, KIND_NODES);
        for &i in members {
            item.clear();
            item.resize(sizes[i].0, 0);
            if i < n {
                let tids = tids_of(i);
                let new = NewNode {
                    tids: &tids,
                    tid_slots: tids.len(),
                    level: levels[i],
                    payload: Some(payload_of(i as u32)),
                    overflow_blk: overflow_at[i],
                    null: false,
                    attrs: attrs_of(i),
                };
                let mut node = Node::init(&mut item, layout, &new);
                for l in 0..=levels[i] {
                    list.clear();
                    list.extend(graph.neighbors_of(i as u32, l).iter().map(|&j| ids[j as usize]));
                    node.set_neighbors(l, &list);
                }
            } else {
                let (tids, null, attrs) = outside[i - n];
                Node::init(&mut item, layout, &NewNode { tids, tid_slots: tids.len(), level: 0, payload: None, overflow_blk: None, null, attrs });
            }
            if page::add_item(pg, &item).is_none() {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: page layout mismatch");
            }
        }
        bulk.append(&image);
        report_tuples(None, members.last().map_or(0, |&i| i + 1));
    }
    for e in 0..n {
        if let Some(expected) = overflow_at[e] {
            // chains follow the node pages in element order, as planned above
            if overflow::append_chain(&mut bulk, KIND_OVERFLOW, payload_of(e as u32)) != expected {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: overflow layout mismatch");
            }
        }
    }
    // the attribute directory: one entry per graph element, as one run sorted by the first
    // attribute column's key when it has one (see layout), then the run's fence pages
    let mut attrs_head = 0;
    let mut run = super::layout::SortedRun::default();
    let mut key_runs = [super::layout::SortedRun::default(); super::layout::MAX_KEY_RUNS];
    if c.multi && n > 0 {
        let keys: Option<Vec<i64>> = (0..n).map(|e| sort_key(decode(attrs_of(e), 0))).collect();
        let mut order: Vec<usize> = (0..n).collect();
        if let Some(k) = &keys {
            order.sort_unstable_by_key(|&e| (k[e], ids[e]));
        }
        attrs_head = bulk.next_block();
        let mut fences = Vec::new();
        image.fill(0);
        page::init_page(image.as_mut_ptr() as pg_sys::Page, KIND_ATTRS);
        let mut empty = true;
        for &e in &order {
            let entry = super::layout::dir_item(ids[e], attrs_of(e));
            let pg = image.as_mut_ptr() as pg_sys::Page;
            if page::add_item(pg, &entry).is_none() {
                // full: it chains to the page written next
                page::set_next_block(pg, bulk.next_block() + 1);
                bulk.append(&image);
                image.fill(0);
                let pg = image.as_mut_ptr() as pg_sys::Page;
                page::init_page(pg, KIND_ATTRS);
                if page::add_item(pg, &entry).is_none() {
                    crate::error::raise_code(PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, "hnsw attribute entry does not fit on an empty page");
                }
                empty = true;
            }
            if empty {
                if let Some(k) = &keys {
                    fences.push(k[e]);
                }
                empty = false;
            }
        }
        page::set_next_block(image.as_mut_ptr() as pg_sys::Page, pg_sys::InvalidBlockNumber);
        bulk.append(&image);
        // (a one-page directory is read whole anyway: no run, no fence page, no key run)
        let dir_pages = bulk.next_block() - attrs_head;
        if dir_pages >= 2 {
            run = super::layout::SortedRun { first: attrs_head, pages: dir_pages, fence_first: 0, _pad: 0, entries: n as u64 };
            if keys.is_some() {
                run.fence_first = write_fences(&mut bulk, &mut image, &fences);
            }
            // a key run for every column the sorted run does not order
            let columns = unsafe { (*(*index).rd_index).indnkeyatts as usize }.saturating_sub(1).min(key_runs.len());
            for (col, slot) in key_runs.iter_mut().enumerate().take(columns) {
                if col == 0 && keys.is_some() {
                    continue;
                }
                let mut pairs: Vec<(i64, u64)> = Vec::with_capacity(n);
                let mut scratch = Vec::new();
                for e in 0..n {
                    scratch.clear();
                    column_keys(decode(attrs_of(e), col), &mut scratch);
                    scratch.sort_unstable();
                    scratch.dedup();
                    pairs.extend(scratch.iter().map(|&k| (k, ids[e])));
                }
                pairs.sort_unstable();
                *slot = write_key_run(&mut bulk, &mut image, &pairs);
                pgrx::check_for_interrupts!();
            }
        }
    }
    bulk.finish();

    pgrx::debug1!("hnsw build: pages written in {:.3} s", started.elapsed().as_secs_f64());
    let entry = graph.entry_point();
    let last_node_page = if pages.is_empty() { pg_sys::InvalidBlockNumber } else { pages.len() as u32 };
    write::update_meta(index, |m| {
        if let Some((e, level)) = entry {
            m.entry = ids[e as usize];
            m.entry_level = level as u32;
            m.has_entry = 1;
        }
        m.insert_page = last_node_page;
        m.nodes = sizes.len() as u64;
        m.attrs_head = attrs_head;
        run.store(m);
        m.key_runs = key_runs;
    });
}

/// Append fence pages holding `fences` (one key per page of a run); returns the first.
fn write_fences(bulk: &mut BulkWriter, image: &mut [u8], fences: &[i64]) -> u32 {
    let first = bulk.next_block();
    for chunk in fences.chunks(super::layout::FENCES_PER_PAGE) {
        image.fill(0);
        let pg = image.as_mut_ptr() as pg_sys::Page;
        page::init_page(pg, KIND_FENCES);
        let bytes: Vec<u8> = chunk.iter().flat_map(|k| k.to_le_bytes()).collect();
        if page::add_item(pg, &bytes).is_none() {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: fence page layout mismatch");
        }
        bulk.append(image);
    }
    first
}

/// Append a key run of `pairs` (sorted) and its fence pages (see layout); no run for no pairs.
fn write_key_run(bulk: &mut BulkWriter, image: &mut [u8], pairs: &[(i64, u64)]) -> super::layout::SortedRun {
    if pairs.is_empty() {
        return super::layout::SortedRun::default();
    }
    let first = bulk.next_block();
    let mut fences = Vec::with_capacity(pairs.len().div_ceil(super::layout::KEYS_PER_PAGE));
    for chunk in pairs.chunks(super::layout::KEYS_PER_PAGE) {
        image.fill(0);
        let pg = image.as_mut_ptr() as pg_sys::Page;
        page::init_page(pg, KIND_KEYS);
        if page::add_item(pg, &super::layout::key_page_item(chunk)).is_none() {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: key page layout mismatch");
        }
        bulk.append(image);
        fences.push(chunk[0].0);
    }
    let pages = fences.len() as u32;
    let fence_first = write_fences(bulk, image, &fences);
    super::layout::SortedRun { first, pages, fence_first, _pad: 0, entries: pairs.len() as u64 }
}

/// The init fork of an UNLOGGED index: an empty index (its meta page). It is WAL-logged and
/// written like PostgreSQL's own index methods do it, so that after a crash (or on a promoted
/// standby) the main fork is reset to a valid empty index.
#[pg_guard]
pub unsafe extern "C-unwind" fn ambuildempty(index: pg_sys::Relation) {
    let spec = IndexSpec::for_build(index);
    write::init_meta(index, pg_sys::ForkNumber::INIT_FORKNUM, &spec.new_meta());
    page::log_fork(index, pg_sys::ForkNumber::INIT_FORKNUM);
}
