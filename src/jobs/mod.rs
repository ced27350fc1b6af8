//! Background jobs (sql/jobs.sql): index builds submitted with `quiver.build_index` (and
//! collections' `create_index(async => true)`), maintenance with `quiver.maintain` and the
//! maintenance launcher, `quiver.wait` / `quiver.cancel`, and the metrics.
//!
//! * [`submit`]    — checking and recording a build; [`launch`] starts its worker.
//! * [`worker`]    — every worker's entry point and a job's life in it.
//! * [`build`] / [`maintain`] — what the two kinds of job run; [`toplevel`] runs statements
//!   at top level (CREATE INDEX CONCURRENTLY, VACUUM).
//! * [`launcher`] / [`sweep`] — the preloaded launcher and its per-database visits.
//! * [`gucs`]      — the settings.

pub mod build;
pub mod gucs;
pub mod launch;
pub mod launcher;
pub mod maintain;
pub mod metrics;
pub mod submit;
pub mod sweep;
pub mod toplevel;
pub mod worker;

use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use quiver_core::jobs::spec::{Kind, Spec};
use serde_json::Value;

use crate::collections::args::{ArgValue, Text};
use crate::collections::spi;
use crate::error::raise_code;

/// Registers settings and, while shared_preload_libraries loads, the launcher and the
/// metrics' shared memory (from `_PG_init`).
pub fn init() {
    gucs::init();
    if unsafe { pgrx::pg_sys::process_shared_preload_libraries_in_progress } {
        metrics::init_shared();
        launcher::register();
    }
}

/// Raises the error job `id` ended with.
fn raise_job_error(id: i64, row: &Value) -> ! {
    let message = row.get("error").and_then(Value::as_str).unwrap_or("unknown error");
    let code = row.get("sqlstate").and_then(Value::as_str).unwrap_or("XX000");
    raise_code(crate::error::code_from_sqlstate(code), format!("quiver: job {id} failed: {message}"))
}

const JOB_ROW: &str = "SELECT pg_catalog.jsonb_build_object('state', CASE WHEN j.state IN ('queued', 'running') AND NOT quiver.job_alive(j.id) THEN 'lost' ELSE j.state END, \
        'error', j.error, 'sqlstate', j.sqlstate, 'xmin', j.xmin::pg_catalog.text, 'roleid', j.roleid::pg_catalog.int8, 'detail', j.detail, 'kind', j.kind, 'target', j.target, \
        'member', pg_catalog.pg_has_role(j.roleid, 'MEMBER'), \
        'holder', quiver.job_holder(j.id)) \
   FROM quiver.job_log AS j WHERE j.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8";

fn job_row(id: i64) -> Value {
    spi::json_one(JOB_ROW, &[&id.to_string()]).unwrap_or_else(|| raise_code(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("quiver: job {id} does not exist")))
}

#[pg_extern(sql = false)]
fn build_index(definition: Text) -> i64 {
    submit::build(definition.read("definition"))
}

#[pg_extern(sql = false)]
fn job_state(job: i64, for_wait: bool) -> String {
    if for_wait && unsafe { pgrx::pg_sys::IsTransactionBlock() } {
        raise_code(
            PgSqlErrorCode::ERRCODE_ACTIVE_SQL_TRANSACTION,
            "quiver: quiver.wait must be CALLed on its own, outside a transaction block and outside functions (it commits while it waits, so that a concurrent index build does not wait for its snapshot)",
        );
    }
    let row = job_row(job);
    let state = row.get("state").and_then(Value::as_str).unwrap_or_default().to_string();
    match state.as_str() {
        "failed" => raise_job_error(job, &row),
        "lost" => {
            spi::run("SELECT quiver.reconcile_jobs()", &[]);
            let row = job_row(job);
            match row.get("state").and_then(Value::as_str) {
                Some("succeeded") => "succeeded".into(),
                Some("failed") => raise_job_error(job, &row),
                _ => raise_code(PgSqlErrorCode::ERRCODE_ADMIN_SHUTDOWN, format!("quiver: job {job}'s worker exited before the job finished")),
            }
        }
        "queued" | "running" => {
            let xmin = row.get("xmin").and_then(Value::as_str).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
            if xmin != 0 && unsafe { pgrx::pg_sys::TransactionIdIsCurrentTransactionId(pgrx::pg_sys::TransactionId::from(xmin)) } {
                raise_code(
                    PgSqlErrorCode::ERRCODE_INVALID_TRANSACTION_STATE,
                    format!("quiver: job {job} was submitted in this transaction and starts when it commits; wait for it after COMMIT"),
                );
            }
            state
        }
        _ => state,
    }
}

#[pg_extern(sql = false)]
fn job_cancel(job: i64) -> bool {
    let row = job_row(job);
    if row.get("member").and_then(Value::as_bool) != Some(true) {
        let role = row.get("roleid").and_then(Value::as_u64).unwrap_or(0).to_string();
        let name = spi::text_one("SELECT pg_catalog.pg_get_userbyid($1::pg_catalog.oid)::pg_catalog.text", &[&role]).unwrap_or(role);
        raise_code(PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("quiver: must be a member of role \"{name}\" to cancel job {job}"));
    }
    let state = row.get("state").and_then(Value::as_str).unwrap_or_default();
    if !matches!(state, "queued" | "running") {
        return false;
    }
    spi::run(
        "UPDATE quiver.job_log SET state = 'cancelled', finished_at = pg_catalog.now(), error = 'cancelled before it started', sqlstate = '57014' \
          WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8 AND state OPERATOR(pg_catalog.=) 'queued'",
        &[&job.to_string()],
    );
    if let Some(pid) = row.get("holder").and_then(Value::as_i64) {
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    }
    true
}

#[pg_extern(sql = false)]
fn maintain(index: pgrx::pg_sys::Oid) -> JsonB {
    let oid = u32::from(index).to_string();
    let row = spi::json_one(
        "SELECT pg_catalog.jsonb_build_object('am', a.amname, 'owner', pg_catalog.pg_has_role(t.relowner, 'USAGE'), 'name', pg_catalog.format('%I.%I', n.nspname, i.relname)) \
           FROM pg_catalog.pg_class AS i JOIN pg_catalog.pg_index AS x ON x.indexrelid OPERATOR(pg_catalog.=) i.oid \
           JOIN pg_catalog.pg_class AS t ON t.oid OPERATOR(pg_catalog.=) x.indrelid \
           JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) i.relnamespace \
           LEFT JOIN pg_catalog.pg_am AS a ON a.oid OPERATOR(pg_catalog.=) i.relam \
          WHERE i.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
        &[&oid],
    )
    .unwrap_or_else(|| {
        let name = spi::text_one("SELECT $1::pg_catalog.oid::pg_catalog.regclass::pg_catalog.text", &[&oid]).unwrap_or(oid.clone());
        raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("quiver: {name} is not an index"))
    });
    let name = row.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    if !matches!(row.get("am").and_then(Value::as_str), Some("hnsw" | "ivfflat")) {
        raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("quiver: {name} is not a vector index (hnsw or ivfflat)"));
    }
    if row.get("owner").and_then(Value::as_bool) != Some(true) {
        raise_code(PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("quiver: must be owner of the table of index {name} to maintain it"));
    }
    let id: i64 = spi::text_one("SELECT pg_catalog.nextval('quiver.job_log_id_seq')::pg_catalog.text", &[])
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| pgrx::error!("quiver: no job id"));
    let spec = Spec {
        kind: Kind::Maintain,
        job: id,
        database: u32::from(unsafe { pgrx::pg_sys::MyDatabaseId }),
        session_role: u32::from(unsafe { pgrx::pg_sys::GetSessionUserId() }),
        role: u32::from(unsafe { pgrx::pg_sys::GetUserId() }),
        arg: u32::from(index) as u64,
    };
    let worker = launch::start(&spec, &format!("quiver job {id}: maintain {name}"));
    launch::started(&worker);
    let _ = worker.wait_for_shutdown();
    let row = spi::json_one(
        "SELECT pg_catalog.to_jsonb(j) OPERATOR(pg_catalog.-) 'search_path' OPERATOR(pg_catalog.-) 'settings' FROM quiver.job_log AS j WHERE j.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
        &[&id.to_string()],
    )
    .unwrap_or_else(|| raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("quiver: the maintenance worker ended without recording job {id} (see the server log)")));
    match row.get("state").and_then(Value::as_str) {
        Some("succeeded") => JsonB(serde_json::json!({
            "job": id,
            "index": row.get("target"),
            "command": row.get("command"),
            "seconds": row.get("detail").and_then(|d| d.get("seconds")),
        })),
        Some("cancelled") => raise_code(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, format!("quiver: job {id} was cancelled")),
        _ => raise_job_error(id, &row),
    }
}
