//! Starting a job's worker from a backend, and the GUC nesting the submitting functions use.

use pgrx::bgworkers::{BackgroundWorkerBuilder, BackgroundWorkerStatus, BgWorkerStartTime, DynamicBackgroundWorker};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use quiver_core::jobs::spec::Spec;

use crate::collections::spi;
use crate::error::raise_code;

/// The library and entry point of every quiver worker.
pub const LIBRARY: &str = "quiver";
pub const ENTRY: &str = "quiver_job_main";

/// Registers a dynamic worker for `spec`, named `name` in pg_stat_activity.
pub fn start(spec: &Spec, name: &str) -> DynamicBackgroundWorker {
    let notify = unsafe { pg_sys::MyProcPid };
    BackgroundWorkerBuilder::new(name)
        .set_type("quiver job")
        .set_library(LIBRARY)
        .set_function(ENTRY)
        .set_extra(&spec.encode())
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(None)
        .set_notify_pid(notify)
        .load_dynamic()
        .unwrap_or_else(|_| {
            raise_code(
                PgSqlErrorCode::ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
                "quiver: no background worker slot is free for the job (raise max_worker_processes, or wait for running jobs to end)",
            )
        })
}

/// Waits until `worker` has started; its pid.
pub fn started(worker: &DynamicBackgroundWorker) -> i32 {
    match worker.wait_for_startup() {
        Ok(pid) => pid,
        Err(BackgroundWorkerStatus::PostmasterDied) => raise_code(PgSqlErrorCode::ERRCODE_ADMIN_SHUTDOWN, "quiver: the server is shutting down"),
        Err(_) => raise_code(PgSqlErrorCode::ERRCODE_INSUFFICIENT_RESOURCES, "quiver: the job's background worker could not start"),
    }
}

/// Waits until job `id`'s worker holds the job's lock (so from now on quiver.job_alive tells
/// whether it runs), or raises if the worker exits first.
pub fn until_alive(worker: &DynamicBackgroundWorker, id: i64) {
    let idt = id.to_string();
    loop {
        if spi::text_one("SELECT quiver.job_alive($1::pg_catalog.int8)::pg_catalog.text", &[&idt]).as_deref() == Some("true") {
            return;
        }
        if !matches!(worker.pid(), Ok(_) | Err(BackgroundWorkerStatus::NotYetStarted)) {
            raise_code(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_RESOURCES,
                "quiver: the job's background worker exited at startup (see the server log)",
            );
        }
        sleep_ms(2);
    }
}

/// Sleeps on the latch (interruptible: a cancel raises).
pub fn sleep_ms(ms: i64) {
    unsafe {
        pg_sys::WaitLatch(
            pg_sys::MyLatch,
            (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH) as i32,
            ms as std::ffi::c_long,
            pg_sys::PG_WAIT_EXTENSION,
        );
        pg_sys::ResetLatch(pg_sys::MyLatch);
        pg_sys::check_for_interrupts!();
    }
}

/// Runs `f` with search_path pinned to pg_catalog, pg_temp, restored afterwards (the
/// submitting functions resolve the caller's names first, with the caller's search_path).
pub fn pinned_search_path<R>(f: impl FnOnce() -> R) -> R {
    unsafe {
        let nest = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            c"pg_catalog, pg_temp".as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        let r = f();
        pg_sys::AtEOXact_GUC(true, nest);
        r
    }
}

/// The settings a job carries from the submitting session (as text, for set_config).
pub fn session_settings() -> String {
    spi::text_one(
        "SELECT COALESCE(pg_catalog.jsonb_object_agg(s.name, pg_catalog.current_setting(s.name)), '{}')::pg_catalog.text \
           FROM pg_catalog.pg_settings AS s \
          WHERE s.name OPERATOR(pg_catalog.=) ANY (ARRAY['maintenance_work_mem', 'max_parallel_maintenance_workers', 'work_mem']) \
             OR pg_catalog.starts_with(s.name, 'hnsw.') OR pg_catalog.starts_with(s.name, 'ivfflat.')",
        &[],
    )
    .unwrap_or_else(|| "{}".into())
}
