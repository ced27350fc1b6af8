//! The entry point of every quiver background worker and the life of one job in it: connect
//! as the submitting session's role, take the job's lock, wait for the submission to commit,
//! run as the submitting role with the submitting session's settings, record the outcome.
//! An error (or a cancel) is caught: what the job created is dropped, and the job's row says
//! why it ended.

use pgrx::bgworkers::BackgroundWorker;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use quiver_core::jobs::spec::{Kind, Spec};
use serde_json::Value;

use super::toplevel::{transaction, LongLived};
use super::{build, maintain, sweep};
use crate::collections::spi;

/// Message and SQLSTATE of a caught error.
pub fn describe(e: &CaughtError) -> (String, String) {
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) | CaughtError::RustPanic { ereport: r, .. } => {
            (r.message().to_string(), crate::error::sqlstate_text(r.sql_error_code()))
        }
    }
}

/// Runs `f`; an error is caught, the transaction it left open aborted, and returned.
pub fn catching(f: impl FnOnce()) -> Result<(), (String, String)> {
    let f = std::panic::AssertUnwindSafe(f);
    PgTryBuilder::new(move || {
        f();
        Ok(())
    })
    .catch_others(|e| {
        unsafe {
            pg_sys::AbortCurrentTransaction();
            pg_sys::MemoryContextSwitchTo(pg_sys::TopMemoryContext);
        }
        Err(describe(&e))
    })
    .execute()
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn quiver_job_main(_arg: pg_sys::Datum) {
    let spec = match Spec::decode(BackgroundWorker::get_extra()) {
        Ok(s) => s,
        Err(e) => {
            pgrx::log!("quiver: {}", e.message);
            return;
        }
    };
    crate::compat::sigterm_dies();
    unsafe { pg_sys::BackgroundWorkerUnblockSignals() };
    let session = (spec.session_role != 0).then(|| pg_sys::Oid::from(spec.session_role));
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(spec.database)), session);
    match spec.kind {
        Kind::Build | Kind::Maintain | Kind::Import => job(&spec),
        Kind::Sweep => sweep::run(&spec),
    }
}

/// Takes job `id`'s advisory lock for the life of this process.
pub fn hold_job_lock(id: i64) {
    spi::run("SELECT pg_catalog.pg_advisory_lock(quiver.job_lock_space(), $1::pg_catalog.int4)", &[&id.to_string()]);
}

/// Sets the job's session settings: search_path and what the submitting session carried.
fn apply_settings(row: &Value) {
    if let Some(path) = row.get("search_path").and_then(Value::as_str) {
        spi::run("SELECT pg_catalog.set_config('search_path', $1, false)", &[path]);
    }
    if let Some(settings) = row.get("settings").and_then(Value::as_object) {
        for (k, v) in settings {
            if let Some(v) = v.as_str() {
                spi::run("SELECT pg_catalog.set_config($1, $2, false)", &[k, v]);
            }
        }
    }
    spi::run("SELECT pg_catalog.set_config('statement_timeout', '0', false)", &[]);
}

fn job(spec: &Spec) {
    let id = spec.job.to_string();
    let cx = LongLived::new();
    transaction(|| {
        hold_job_lock(spec.job);
        if matches!(spec.kind, Kind::Build | Kind::Import) && spec.arg != 0 {
            // the submission commits (or rolls back) before the job reads its row
            unsafe {
                pg_sys::XactLockTableWait(pg_sys::TransactionId::from(spec.arg as u32), std::ptr::null_mut(), std::ptr::null_mut(), pg_sys::XLTW_Oper::XLTW_None)
            };
        }
    });
    if spec.role != 0 {
        unsafe { pg_sys::SetUserIdAndSecContext(pg_sys::Oid::from(spec.role), 0) };
    }
    if spec.kind == Kind::Maintain && !maintain::register(spec.job, pg_sys::Oid::from(spec.arg as u32)) {
        return;
    }
    let row = transaction(|| {
        spi::json_one(
            "SELECT pg_catalog.to_jsonb(j) FROM quiver.job_log AS j WHERE j.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8 AND j.roleid OPERATOR(pg_catalog.=) $2::pg_catalog.oid",
            &[&id, &spec.role.to_string()],
        )
    });
    let Some(row) = row else { return };
    if row.get("state").and_then(Value::as_str) != Some("queued") {
        return;
    }
    let started = transaction(|| {
        spi::run(
            "UPDATE quiver.job_log SET state = 'running', started_at = pg_catalog.now(), pid = pg_catalog.pg_backend_pid() \
              WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8 AND state OPERATOR(pg_catalog.=) 'queued'",
            &[&id],
        )
    });
    if started == 0 {
        return; // cancelled before it started
    }
    let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let detail = row.get("detail").cloned().unwrap_or(Value::Null);
    let d = |k: &str| detail.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let began = std::time::Instant::now();
    let outcome = catching(|| {
        transaction(|| apply_settings(&row));
        match spec.kind {
            Kind::Build => build::run(&cx, spec.job, &text("command"), &d("schema"), &d("index")),
            // one transaction: a failed import leaves the table as it was
            Kind::Import => transaction(|| {
                spi::run(&text("command"), &[]);
            }),
            _ => maintain::run(&cx, spec.job, pg_sys::Oid::from(spec.arg as u32)),
        }
    });
    if outcome.is_err() {
        let created = transaction(|| {
            spi::text_rows("SELECT pg_catalog.unnest(created) FROM quiver.job_log WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8", &[&id])
        });
        if let Err((m, _)) = catching(|| build::drop_created(&cx, &created)) {
            pgrx::warning!("quiver: job {id}: could not drop what it created: {m}");
        }
    }
    record_outcome(&id, began, outcome);
}

/// Records how job `id` (begun at `began`) ended: succeeded, cancelled (57014) or failed.
pub fn record_outcome(id: &str, began: std::time::Instant, outcome: Result<(), (String, String)>) {
    let report = serde_json::json!({"seconds": began.elapsed().as_secs_f64()}).to_string();
    match outcome {
        Ok(()) => finish(id, "succeeded", None, &report),
        Err((message, code)) => {
            let state = if code == "57014" { "cancelled" } else { "failed" };
            finish(id, state, Some((&message, &code)), &report);
        }
    }
}

/// Records how job `id` ended.
fn finish(id: &str, state: &str, error: Option<(&str, &str)>, report: &str) {
    let (message, code) = error.unwrap_or(("", ""));
    transaction(|| {
        spi::run(
            "UPDATE quiver.job_log SET state = $2, finished_at = pg_catalog.now(), error = NULLIF($3, ''), sqlstate = NULLIF($4, ''), \
                    detail = COALESCE(detail, '{}') OPERATOR(pg_catalog.||) $5::pg_catalog.jsonb \
              WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
            &[id, state, message, code, report],
        )
    });
}
