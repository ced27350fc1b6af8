//! CREATE INDEX: read the heap, build the graph in memory on all cores (rayon, plain Rust
//! data only), then lay the nodes out on pages and write them with Generic WAL.

use super::layout::{node_id, Meta, Node, MAGIC, VERSION};
use super::spec::IndexSpec;
use super::write;
use crate::am::page::{self, Buf, Wal, BLCKSZ, SPECIAL_SIZE};
use crate::am::spill::Arena;
use pgrx::prelude::*;
use quiver_core::hnsw::{build_parallel_with, link_bytes_per_node, random_levels, BuildError, BuildFns};
use quiver_core::quant;
use quiver_core::metric::{f32_distance, f32_elements, index_distance, prefetch, VectorKind};

/// Vectors read from the heap: payload bytes in one arena.
struct Collected {
    arena: Arena,
    offsets: Vec<(usize, usize)>,
    tids: Vec<(u32, u16)>,
    spec: IndexSpec,
    /// maintenance_work_mem in bytes: the in-memory graph build stays below it.
    limit: usize,
    /// Estimated bytes the in-memory build needs so far.
    used: usize,
    /// Set once even the graph's links reached the limit: remaining rows go through the
    /// on-disk insert path.
    on_disk: bool,
    total: usize,
}

/// Build sub-phases reported in pg_stat_progress_create_index (after PostgreSQL's "initializing").
pub const PHASE_LOAD: i64 = 2;
pub const PHASE_GRAPH: i64 = 3;
pub const PHASE_WRITE: i64 = 4;
pub const PHASE_INSERT: i64 = 5;

fn report_phase(phase: i64) {
    unsafe { pg_sys::pgstat_progress_update_param(pg_sys::PROGRESS_CREATEIDX_SUBPHASE as i32, phase) };
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambuildphasename(phase: i64) -> *mut std::ffi::c_char {
    let name: &'static std::ffi::CStr = match phase {
        PHASE_LOAD => c"loading tuples",
        PHASE_GRAPH => c"building graph",
        PHASE_WRITE => c"writing pages",
        PHASE_INSERT => c"inserting tuples beyond maintenance_work_mem",
        _ => return std::ptr::null_mut(),
    };
    name.as_ptr() as *mut std::ffi::c_char
}

/// Estimated memory per node besides its vector and level-0 links: offsets, heap TID, level,
/// upper-level lists (on average).
const BOOKKEEPING: usize = 48;

impl Collected {
    fn payload(&self, i: usize) -> &[u8] {
        let (at, len) = self.offsets[i];
        &self.arena.bytes()[at..at + len]
    }

    /// Estimated memory of one more node with a payload of `len` bytes (once spilled, its
    /// vector and level-0 links live in temporary files).
    fn cost(&self, len: usize) -> usize {
        BOOKKEEPING + if self.arena.is_spilled() { 0 } else { len + link_bytes_per_node(&self.spec.params) }
    }
}

/// The payload of a vector datum: the detoasted varlena without its 4-byte length word.
/// The returned slice lives in the current memory context.
pub unsafe fn datum_payload<'a>(datum: pg_sys::Datum) -> &'a [u8] {
    unsafe {
        let v = pg_sys::pg_detoast_datum(datum.cast_mut_ptr::<pg_sys::varlena>()) as *const u8;
        let total = (v as *const u32).read_unaligned() as usize >> 2; // 4-byte header, little-endian
        std::slice::from_raw_parts(v.add(4), total.saturating_sub(4))
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn collect_callback(
    index: pg_sys::Relation,
    tid: pg_sys::ItemPointer,
    values: *mut pg_sys::Datum,
    isnull: *mut bool,
    _alive: bool,
    state: *mut std::ffi::c_void,
) {
    unsafe {
        if *isnull {
            return;
        }
        let c = &mut *(state as *mut Collected);
        let payload = datum_payload(*values);
        let t = &*tid;
        let heap_tid = (((t.ip_blkid.bi_hi as u32) << 16) | t.ip_blkid.bi_lo as u32, t.ip_posid);
        c.total += 1;
        if !c.on_disk && !c.arena.is_spilled() && c.used + c.cost(payload.len()) > c.limit && !c.offsets.is_empty() {
            // 1. vectors move to a temporary file; the graph is still built in memory
            pgrx::pg_sys::panic::ErrorReport::new(
                PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
                format!(
                    "hnsw build reached maintenance_work_mem ({} MB) after {} tuples; vectors and links are kept in temporary files from now on",
                    c.limit >> 20,
                    c.offsets.len()
                ),
                "quiver",
            )
            .report(PgLogLevel::NOTICE);
            c.arena.spill();
            c.used = c.offsets.len() * BOOKKEEPING;
        }
        if !c.on_disk && c.used + c.cost(payload.len()) > c.limit && !c.offsets.is_empty() {
            // 2. not even the bookkeeping fits: insert the rest one at a time into the graph
            pgrx::pg_sys::panic::ErrorReport::new(
                PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
                format!(
                    "hnsw graph reached maintenance_work_mem ({} MB) after {} tuples; the remaining tuples are inserted one at a time, which is slower",
                    c.limit >> 20,
                    c.offsets.len()
                ),
                "quiver",
            )
            .set_hint("Increase maintenance_work_mem to build the whole graph in memory.")
            .report(PgLogLevel::NOTICE);
            c.arena.seal();
            write_graph(index, &c.spec, c);
            c.arena = Arena::default();
            c.offsets = Vec::new();
            c.tids = Vec::new();
            c.on_disk = true;
            report_phase(PHASE_INSERT);
        }
        if c.on_disk {
            super::insert::insert_payload(index, payload, heap_tid);
            return;
        }
        c.used += c.cost(payload.len());
        let at = c.arena.push(payload); // 8-byte aligned
        c.offsets.push((at, payload.len()));
        c.tids.push(heap_tid);
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambuild(
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    index_info: *mut pg_sys::IndexInfo,
) -> *mut pg_sys::IndexBuildResult {
    let spec = IndexSpec::of(index);
    if spec.params.ef_construction < 2 * spec.params.m {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "ef_construction must be greater than or equal to 2 * m",
        );
    }
    if page::nblocks(index) != 0 {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("index \"{}\" already contains data", unsafe { name_of(index) }),
        );
    }

    let limit = unsafe { pg_sys::maintenance_work_mem }.max(1024) as usize * 1024;
    let mut c = Collected {
        arena: Arena::default(),
        offsets: Vec::new(),
        tids: Vec::new(),
        spec,
        limit,
        used: 0,
        on_disk: false,
        total: 0,
    };
    report_phase(PHASE_LOAD);
    let heap_tuples = unsafe {
        pg_sys::table_index_build_scan(
            heap,
            index,
            index_info,
            true,
            true,
            Some(collect_callback),
            &mut c as *mut Collected as *mut std::ffi::c_void,
            std::ptr::null_mut(),
        )
    };
    if !c.on_disk {
        c.arena.seal();
        write_graph(index, &spec, &c);
    }
    let n = c.total;

    let result = unsafe { pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexBuildResult>()) }
        as *mut pg_sys::IndexBuildResult;
    unsafe {
        (*result).heap_tuples = heap_tuples;
        (*result).index_tuples = n as f64;
    }
    result
}

unsafe fn name_of(rel: pg_sys::Relation) -> String {
    unsafe { pgrx::name_data_to_str(&(*(*rel).rd_rel).relname).to_string() }
}

/// Whether a query cancel (Ctrl-C, `pg_cancel_backend`, `statement_timeout`) or a termination
/// request is pending. Called from rayon's threads: it only reads the flags PostgreSQL's signal
/// handlers set, and the backend thread acts on them once the build has stopped.
fn build_cancelled() -> bool {
    unsafe {
        std::ptr::read_volatile(&raw const pg_sys::InterruptPending) != 0
            && (std::ptr::read_volatile(&raw const pg_sys::QueryCancelPending) != 0
                || std::ptr::read_volatile(&raw const pg_sys::ProcDiePending) != 0)
    }
}

/// Build the graph over the collected vectors and write every page.
fn write_graph(index: pg_sys::Relation, spec: &IndexSpec, c: &Collected) {
    let n = c.offsets.len();
    let (kind, metric) = (spec.kind, spec.metric);
    report_phase(PHASE_GRAPH);
    let started = std::time::Instant::now();
    let levels = random_levels(n, &spec.params, 0x5155_4956_4552 ^ n as u64);
    // Runs on rayon's threads: plain Rust data only, no PostgreSQL calls.
    // `vector` columns: borrow every vector's f32 elements once instead of decoding payloads
    // on each of the millions of distance evaluations.
    let dense: Option<Vec<&[f32]>> = (kind == VectorKind::F32)
        .then(|| (0..n).map(|i| f32_elements(c.payload(i))).collect::<Option<Vec<_>>>())
        .flatten();
    let pair_distance = |a: u32, b: u32| match &dense {
        Some(v) => f32_distance(metric, v[a as usize], v[b as usize]),
        None => index_distance(kind, metric, c.payload(a as usize), c.payload(b as usize)),
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
        None => prefetch(c.payload(a as usize)),
    };
    // Level-0 links of a build whose vectors spilled go to a temporary file as well.
    let link_file = c.arena.is_spilled().then(crate::am::spill::temp_file);
    let fns = BuildFns {
        pair_dist: &pair_distance,
        search_dist: approx.as_ref().map(|f| f as &(dyn Fn(u32, u32) -> f32 + Sync)),
        prefetch: &prefetch_node,
        progress: &|_done: usize| {},
        cancelled: &build_cancelled,
        link_file: link_file.as_ref(),
    };
    let graph = match build_parallel_with(n, &levels, &spec.params, &fns) {
        Ok(g) => g,
        Err(BuildError::Cancelled) => {
            // Back on the backend's thread: raise the pending cancel / termination.
            pgrx::check_for_interrupts!();
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, "canceling index build due to user request")
        }
        Err(BuildError::LinkFile(e)) => crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_IO_ERROR,
            format!("could not map temporary file for index build: {e}"),
        ),
    };

    pgrx::debug1!("hnsw build: graph of {n} nodes in {:.3} s", started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    // Lay nodes out on pages (block 1 onwards) so every node has its id before writing.
    let layout = spec.layout;
    let header = std::mem::size_of::<pg_sys::PageHeaderData>();
    let mut ids = Vec::with_capacity(n);
    let mut pages: Vec<Vec<usize>> = Vec::new();
    let mut used = BLCKSZ; // force a new page first
    for i in 0..n {
        let overflow = write::needs_overflow(&layout, levels[i], c.offsets[i].1);
        let size = layout.item_size(levels[i], c.offsets[i].1, overflow);
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

    // Meta page first (block 0), then node pages in order, then overflow chains.
    write::init_meta(
        index,
        pg_sys::ForkNumber::MAIN_FORKNUM,
        &Meta { magic: MAGIC, version: VERSION, m: spec.params.m as u32, ef_construction: spec.params.ef_construction as u32, insert_page: pg_sys::InvalidBlockNumber, ..Default::default() },
    );
    report_phase(PHASE_WRITE);
    unsafe {
        pg_sys::pgstat_progress_update_param(pg_sys::PROGRESS_CREATEIDX_TUPLES_TOTAL as i32, n as i64);
    }
    let first_overflow = pages.len() as u32 + 1;
    let mut overflow_at = vec![None; n];
    {
        let mut next_blk = first_overflow;
        for i in 0..n {
            let len = c.offsets[i].1;
            if write::needs_overflow(&layout, levels[i], len) {
                overflow_at[i] = Some(next_blk);
                next_blk += len.div_ceil(write::CHUNK) as u32;
            }
        }
    }
    let mut item = Vec::new();
    let mut list = Vec::new();
    for (p, members) in pages.iter().enumerate() {
        let buf = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
        debug_assert_eq!(buf.blkno(), p as u32 + 1);
        let mut wal = Wal::start(index);
        let pg = wal.register(&buf, true);
        page::init_page(pg, super::layout::KIND_NODES);
        for &i in members {
            let level = levels[i];
            let payload = c.payload(i);
            item.resize(layout.item_size(level, payload.len(), overflow_at[i].is_some()), 0);
            let mut node = Node::init(&mut item, layout, c.tids[i], level, payload, overflow_at[i]);
            for l in 0..=level {
                list.clear();
                list.extend(graph.neighbors_of(i as u32, l).iter().map(|&j| ids[j as usize]));
                node.set_neighbors(l, &list);
            }
            if page::add_item(pg, &item).is_none() {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: page layout mismatch");
            }
        }
        wal.finish();
        unsafe {
            pg_sys::pgstat_progress_update_param(
                pg_sys::PROGRESS_CREATEIDX_TUPLES_DONE as i32,
                members.last().map_or(0, |&i| i as i64 + 1),
            );
        }
        pgrx::check_for_interrupts!();
    }
    for i in 0..n {
        if let Some(expected) = overflow_at[i] {
            // Chains are written front to back here so the block numbers match the plan.
            write_overflow_in_order(index, c.payload(i), expected);
        }
    }

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
        m.nodes = n as u64;
    });
}

/// Write an overflow chain starting at the next block, which must be `expected_first`.
fn write_overflow_in_order(index: pg_sys::Relation, payload: &[u8], expected_first: u32) {
    let chunks: Vec<&[u8]> = payload.chunks(write::CHUNK).collect();
    for (k, chunk) in chunks.iter().enumerate() {
        let buf = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
        if buf.blkno() != expected_first + k as u32 {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw build: overflow layout mismatch");
        }
        let mut wal = Wal::start(index);
        let pg = wal.register(&buf, true);
        page::init_page(pg, super::layout::KIND_OVERFLOW);
        let next = if k + 1 < chunks.len() { buf.blkno() + 1 } else { pg_sys::InvalidBlockNumber };
        page::set_next_block(pg, next);
        page::add_item(pg, chunk);
        wal.finish();
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambuildempty(index: pg_sys::Relation) {
    let spec = IndexSpec::of(index);
    write::init_meta(
        index,
        pg_sys::ForkNumber::INIT_FORKNUM,
        &Meta { magic: MAGIC, version: VERSION, m: spec.params.m as u32, ef_construction: spec.params.ef_construction as u32, insert_page: pg_sys::InvalidBlockNumber, ..Default::default() },
    );
}
