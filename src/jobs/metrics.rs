//! Metrics kept in shared memory (with quiver in shared_preload_libraries): per vector index,
//! searches (with a latency histogram and the entries they scored), inserts, builds and
//! maintenance runs (VACUUM passes) with their durations. `quiver.metrics()` writes them in
//! Prometheus text format. Without preloading nothing is counted and quiver.metrics() says so.

use pgrx::lwlock::PgLwLock;
use pgrx::prelude::*;
use pgrx::shmem::PGRXSharedMemory;
use pgrx::{pg_shmem_init, PgSqlErrorCode};
use quiver_core::jobs::metrics::{render, IndexCounters, Labels};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::collections::spi;
use crate::error::raise_code;

/// Indexes tracked at once (across databases); indexes beyond are counted as untracked.
const SLOTS: usize = 1024;

#[derive(Clone, Copy)]
pub struct Registry {
    used: usize,
    untracked: u64,
    slots: [IndexCounters; SLOTS],
}

impl Default for Registry {
    fn default() -> Self {
        Registry { used: 0, untracked: 0, slots: [IndexCounters::default(); SLOTS] }
    }
}

unsafe impl PGRXSharedMemory for Registry {}

static REGISTRY: PgLwLock<Registry> = unsafe { PgLwLock::new(c"quiver_metrics") };
static READY: AtomicBool = AtomicBool::new(false);

/// Requests the shared memory (from `_PG_init` while shared_preload_libraries loads).
pub fn init_shared() {
    pg_shmem_init!(REGISTRY);
    READY.store(true, Ordering::Relaxed);
}

/// Whether metrics are kept (quiver was preloaded).
pub fn enabled() -> bool {
    READY.load(Ordering::Relaxed)
}

/// Updates the counters of `index` (in this database).
pub fn update(index: pg_sys::Oid, f: impl FnOnce(&mut IndexCounters)) {
    if !enabled() {
        return;
    }
    let (db, ix) = (u32::from(unsafe { pg_sys::MyDatabaseId }), u32::from(index));
    let mut r = REGISTRY.exclusive();
    let used = r.used;
    if let Some(slot) = r.slots[..used].iter_mut().find(|c| c.database == db && c.index == ix) {
        f(slot);
        return;
    }
    if used == SLOTS {
        r.untracked += 1;
        return;
    }
    r.slots[used] = IndexCounters::new(db, ix);
    f(&mut r.slots[used]);
    r.used += 1;
}

/// Times `f`, part of a VACUUM of `index`; `run`: it counts as a maintenance run (a pass
/// that removes dead entries; the cleanup at the end of VACUUM adds its time only).
pub fn timed_maintenance<R>(index: pg_sys::Relation, run: bool, f: impl FnOnce() -> R) -> R {
    let began = std::time::Instant::now();
    let r = f();
    let us = began.elapsed().as_micros() as u64;
    update(unsafe { (*index).rd_id }, |c| {
        c.maintenance_runs += run as u64;
        c.maintenance_us += us;
    });
    r
}

/// Records a build of `index` that began at `began`.
pub fn built(index: pg_sys::Relation, began: std::time::Instant) {
    let us = began.elapsed().as_micros() as u64;
    update(unsafe { (*index).rd_id }, |c| {
        c.builds += 1;
        c.build_us += us;
    });
}

/// Counts an insert into `index`.
pub fn inserted(index: pg_sys::Relation) {
    update(unsafe { (*index).rd_id }, |c| c.inserts += 1);
}

/// A search of one index scan: started at the scan's first row, recorded at its end.
#[derive(Default)]
pub struct SearchTimer {
    began: Option<std::time::Instant>,
}

impl SearchTimer {
    /// The scan was (re)started: a new search begins.
    pub fn start(&mut self) {
        self.began = Some(std::time::Instant::now());
    }

    /// The search ended (rescan or endscan), having scored `scanned` entries.
    pub fn stop(&mut self, index: pg_sys::Relation, scanned: u64) {
        if let Some(b) = self.began.take() {
            let us = b.elapsed().as_micros() as u64;
            update(unsafe { (*index).rd_id }, |c| c.observe_search(us, scanned));
        }
    }
}

#[pg_extern(sql = false)]
fn metrics() -> String {
    if !enabled() {
        raise_code(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "quiver: metrics need quiver in shared_preload_libraries (then restart the server)",
        );
    }
    let db = u32::from(unsafe { pg_sys::MyDatabaseId });
    let (counters, untracked): (Vec<IndexCounters>, u64) = {
        let r = REGISTRY.share();
        (r.slots[..r.used].iter().filter(|c| c.database == db).copied().collect(), r.untracked)
    };
    let mut rows = Vec::new();
    for c in counters {
        let row = spi::json_one(
            "SELECT pg_catalog.jsonb_build_array(pg_catalog.current_database(), n.nspname, i.relname, t.relname, a.amname) \
               FROM pg_catalog.pg_class AS i JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) i.relnamespace \
               JOIN pg_catalog.pg_index AS x ON x.indexrelid OPERATOR(pg_catalog.=) i.oid \
               JOIN pg_catalog.pg_class AS t ON t.oid OPERATOR(pg_catalog.=) x.indrelid \
               JOIN pg_catalog.pg_am AS a ON a.oid OPERATOR(pg_catalog.=) i.relam \
              WHERE i.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
            &[&c.index.to_string()],
        );
        // a dropped index's counters are left out
        let Some(a) = row.as_ref().and_then(|v| v.as_array()) else { continue };
        let s = |i: usize| a.get(i).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        rows.push((c, Labels { database: s(0), schema: s(1), index: s(2), table: s(3), method: s(4) }));
    }
    let jobs = |state: &str| {
        spi::text_one("SELECT pg_catalog.count(*)::pg_catalog.text FROM quiver.jobs WHERE state OPERATOR(pg_catalog.=) $1", &[state])
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let gauges = [
        ("quiver_jobs_running", "Background jobs running in this database.", jobs("running")),
        ("quiver_jobs_queued", "Background jobs submitted and not started in this database.", jobs("queued")),
        ("quiver_jobs_failed", "Background jobs in quiver.jobs that failed.", jobs("failed")),
        ("quiver_metrics_untracked_indexes", "Index events not counted because the metrics table is full.", untracked as f64),
    ];
    render(&rows, &gauges)
}
