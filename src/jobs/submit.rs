//! quiver.build_index: checks a CREATE INDEX statement as the caller, records the job and
//! starts its worker. The worker runs the build once the submitting transaction commits (a
//! rolled-back submission never runs).

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use quiver_core::collection::ident::qualified;
use quiver_core::jobs::names;
use quiver_core::jobs::spec::{Kind, Spec};

use super::launch;
use super::toplevel::{self, LongLived};
use crate::collections::spi;
use crate::error::raise_code;

/// A CREATE INDEX statement, checked.
pub struct IndexRequest {
    pub relid: pg_sys::Oid,
    pub schema: String,
    pub table: String,
    /// The index's name (the statement's, or the one PostgreSQL would generate).
    pub index: String,
}

fn cstr(p: *const std::ffi::c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The one IndexStmt of `definition`, or an error naming what was given instead.
pub fn index_stmt(cx: &LongLived, definition: &str) -> *mut pg_sys::IndexStmt {
    let stmts = toplevel::parse(cx, definition);
    let [stmt] = stmts.as_slice() else {
        raise_code(PgSqlErrorCode::ERRCODE_SYNTAX_ERROR, format!("quiver: a build takes one CREATE INDEX statement, not {}", stmts.len()))
    };
    unsafe {
        if (**stmt).type_ != pg_sys::NodeTag::T_IndexStmt {
            raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, "quiver: a build takes a CREATE INDEX statement");
        }
    }
    *stmt as *mut pg_sys::IndexStmt
}

/// The index column part of a generated name (column names, `expr` for expressions).
pub fn column_part(stmt: *mut pg_sys::IndexStmt) -> String {
    let cols: Vec<Option<String>> = unsafe {
        pgrx::PgList::<pg_sys::IndexElem>::from_pg((*stmt).indexParams)
            .iter_ptr()
            .map(|e| cstr((*e).indexcolname).or_else(|| cstr((*e).name)))
            .collect()
    };
    let refs: Vec<Option<&str>> = cols.iter().map(|c| c.as_deref()).collect();
    names::column_part(&refs)
}

/// Whether a relation named `name` exists in schema `schema`.
pub fn name_taken(schema: &str, name: &str) -> bool {
    spi::text_one(
        "SELECT 1 FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
          WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2",
        &[schema, name],
    )
    .is_some()
}

/// Checks `stmt` as the caller (table exists, caller owns it, index name free) with the
/// caller's search_path, and names the index if the statement does not.
pub fn check(stmt: *mut pg_sys::IndexStmt) -> IndexRequest {
    let relid = unsafe { pg_sys::RangeVarGetRelidExtended((*stmt).relation, pg_sys::NoLock as i32, 0, None, std::ptr::null_mut()) };
    launch::pinned_search_path(|| {
        let row = spi::json_one(
            "SELECT pg_catalog.jsonb_build_object('schema', n.nspname, 'table', c.relname, 'kind', c.relkind, \
                    'owner', pg_catalog.pg_has_role(c.relowner, 'USAGE')) \
               FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
              WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
            &[&u32::from(relid).to_string()],
        )
        .unwrap_or_else(|| raise_code(PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE, "quiver: the table to index does not exist"));
        let s = |k: &str| row.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let (schema, table) = (s("schema"), s("table"));
        if !["r", "p", "m"].contains(&s("kind").as_str()) {
            raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("quiver: {} is not a table or materialized view", qualified(&schema, &table)));
        }
        if row.get("owner").and_then(|v| v.as_bool()) != Some(true) {
            raise_code(PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("quiver: must be owner of table {}", qualified(&schema, &table)));
        }
        let index = match cstr(unsafe { (*stmt).idxname }) {
            Some(n) => {
                if name_taken(&schema, &n) && !unsafe { (*stmt).if_not_exists } {
                    raise_code(PgSqlErrorCode::ERRCODE_DUPLICATE_TABLE, format!("quiver: relation {} already exists", qualified(&schema, &n)));
                }
                n
            }
            None => names::choose(&table, Some(&column_part(stmt)), "idx", |n| name_taken(&schema, n)),
        };
        IndexRequest { relid, schema, table, index }
    })
}

/// Records a job of `kind` (build or import) as the caller, starts its worker and waits
/// until the worker holds the job's lock; the job id. The worker runs the job once the
/// submitting transaction commits.
pub fn record_and_start(kind: Kind, target: &str, relid: pg_sys::Oid, command: &str, detail: &serde_json::Value, search_path: &str) -> i64 {
    launch::pinned_search_path(|| {
        let settings = launch::session_settings();
        let id: i64 = spi::text_one(
            "INSERT INTO quiver.job_log (kind, target, relid, command, search_path, settings, detail) \
             VALUES ($1, $2, $3::pg_catalog.oid, $4, $5, $6::pg_catalog.jsonb, $7::pg_catalog.jsonb) RETURNING id::pg_catalog.text",
            &[kind.as_str(), target, &u32::from(relid).to_string(), command, search_path, &settings, &detail.to_string()],
        )
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| pgrx::error!("quiver: the job was not recorded"));
        if id > i32::MAX as i64 {
            raise_code(PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, "quiver: job ids are exhausted (restart quiver.job_log_id_seq)");
        }
        let xid = unsafe { pg_sys::GetTopTransactionId() };
        let spec = Spec {
            kind,
            job: id,
            database: u32::from(unsafe { pg_sys::MyDatabaseId }),
            session_role: u32::from(unsafe { pg_sys::GetSessionUserId() }),
            role: u32::from(unsafe { pg_sys::GetUserId() }),
            arg: u64::from(u32::from(xid)),
        };
        let worker = launch::start(&spec, &format!("quiver job {id}: {} {target}", kind.as_str()));
        let pid = launch::started(&worker);
        spi::run("UPDATE quiver.job_log SET pid = $2::pg_catalog.int4 WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8", &[&id.to_string(), &pid.to_string()]);
        launch::until_alive(&worker, id);
        id
    })
}

/// Records a build job for `definition` and starts its worker; the job id.
pub fn build(definition: &str) -> i64 {
    let cx = LongLived::new();
    let search_path = unsafe { cstr(pg_sys::GetConfigOption(c"search_path".as_ptr(), false, false)) }.unwrap_or_default();
    let stmt = index_stmt(&cx, definition);
    let req = check(stmt);
    let target = launch::pinned_search_path(|| spi::text_one("SELECT pg_catalog.format('%I.%I', $1, $2)", &[&req.schema, &req.index]))
        .unwrap_or_default();
    let detail = serde_json::json!({"schema": req.schema, "index": req.index, "table": req.table});
    record_and_start(Kind::Build, &target, req.relid, definition, &detail, &search_path)
}

/// Records an import job: `command` (a call of quiver.import_vectors or quiver.bulk_insert,
/// checked by the caller) loading into table `relid`; the job id.
pub fn import(relid: pg_sys::Oid, command: &str) -> i64 {
    let target = launch::pinned_search_path(|| {
        spi::text_one("SELECT $1::pg_catalog.oid::pg_catalog.regclass::pg_catalog.text", &[&u32::from(relid).to_string()])
    })
    .unwrap_or_default();
    record_and_start(Kind::Import, &target, relid, command, &serde_json::json!({}), "pg_catalog, pg_temp")
}
