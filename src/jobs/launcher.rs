//! The maintenance launcher: a background worker registered when quiver is in
//! shared_preload_libraries. Every `quiver.maintenance_naptime` it starts a sweep worker
//! ([`super::sweep`]) for each database that accepts connections (at most
//! `quiver.max_maintenance_workers` at a time; a database whose last sweep still runs waits
//! for the next round). A database without quiver costs one short-lived connection a round.

use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BackgroundWorkerStatus, BgWorkerStartTime, DynamicBackgroundWorker, SignalWakeFlags};
use pgrx::pg_sys;
use pgrx::prelude::*;
use quiver_core::jobs::spec::{Kind, Spec};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::gucs;
use super::launch::{ENTRY, LIBRARY};

/// Registers the launcher (from `_PG_init` while shared_preload_libraries loads).
pub fn register() {
    BackgroundWorkerBuilder::new("quiver maintenance launcher")
        .set_type("quiver launcher")
        .set_library(LIBRARY)
        .set_function("quiver_launcher_main")
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(Duration::from_secs(10)))
        .load();
}

/// (oid, name) of the databases a sweep visits: not templates, accepting connections.
fn databases() -> Vec<(pg_sys::Oid, String)> {
    let mut out = Vec::new();
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        let _ = pg_sys::GetTransactionSnapshot();
        let rel = pg_sys::table_open(pg_sys::DatabaseRelationId, pg_sys::AccessShareLock as i32);
        let scan = pg_sys::table_beginscan_catalog(rel, 0, std::ptr::null_mut());
        loop {
            let tuple = pg_sys::heap_getnext(scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tuple.is_null() {
                break;
            }
            let header = (*tuple).t_data;
            let form = (header as *const u8).add((*header).t_hoff as usize) as *const pg_sys::FormData_pg_database;
            if (*form).datallowconn && !(*form).datistemplate {
                let name = std::ffi::CStr::from_ptr((*form).datname.data.as_ptr()).to_string_lossy().into_owned();
                out.push(((*form).oid, name));
            }
        }
        pg_sys::table_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as i32);
        pg_sys::CommitTransactionCommand();
    }
    out
}

fn running(w: &DynamicBackgroundWorker) -> bool {
    matches!(w.pid(), Ok(_) | Err(BackgroundWorkerStatus::NotYetStarted))
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn quiver_launcher_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    BackgroundWorker::connect_worker_to_spi(None, None);
    let mut sweeps: HashMap<u32, DynamicBackgroundWorker> = HashMap::new();
    let mut last: HashMap<u32, Instant> = HashMap::new();
    let mut next = Instant::now();
    loop {
        if BackgroundWorker::sighup_received() {
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        sweeps.retain(|_, w| running(w));
        if gucs::MAINTENANCE.get() && Instant::now() >= next {
            next = Instant::now() + Duration::from_secs(gucs::NAPTIME.get().max(1) as u64);
            // the databases visited longest ago first, so a cap below their number rotates
            let mut dbs = databases();
            dbs.sort_by_key(|(oid, _)| last.get(&u32::from(*oid)).copied());
            for (oid, name) in dbs {
                if sweeps.len() >= gucs::MAX_WORKERS.get().max(1) as usize {
                    break;
                }
                let key = u32::from(oid);
                if sweeps.contains_key(&key) {
                    continue;
                }
                let spec = Spec { kind: Kind::Sweep, job: 0, database: key, session_role: 0, role: 0, arg: 0 };
                let started = BackgroundWorkerBuilder::new(&format!("quiver maintenance: {name}"))
                    .set_type("quiver maintenance")
                    .set_library(LIBRARY)
                    .set_function(ENTRY)
                    .set_extra(&spec.encode())
                    .enable_spi_access()
                    .set_restart_time(None)
                    .set_notify_pid(unsafe { pg_sys::MyProcPid })
                    .load_dynamic();
                match started {
                    Ok(w) => {
                        sweeps.insert(key, w);
                        last.insert(key, Instant::now());
                    }
                    Err(_) => break, // no slot free: the next round tries again
                }
            }
        }
        let wait = next.saturating_duration_since(Instant::now()).clamp(Duration::from_millis(100), Duration::from_secs(1));
        if !BackgroundWorker::wait_latch(Some(wait)) {
            break; // SIGTERM or postmaster death
        }
    }
}
