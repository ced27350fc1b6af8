//! A build job in its worker: the submitted CREATE INDEX, run as CREATE INDEX CONCURRENTLY so
//! writes to the table go on. A partitioned table gets the index on the parent alone
//! (ON ONLY), then one index per partition built concurrently and attached; the parent's
//! index becomes valid when the last partition's is attached.

use pgrx::pg_sys;
use quiver_core::collection::ident::qualified;
use quiver_core::jobs::names;

use super::submit;
use super::toplevel::{self, transaction, LongLived};
use crate::collections::spi;

/// Records `name` as created by job `job` before it is created (so a failure drops it).
fn record_created(job: i64, name: &str) {
    transaction(|| {
        spi::run(
            "UPDATE quiver.job_log SET created = created OPERATOR(pg_catalog.||) $2::pg_catalog.text WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
            &[&job.to_string(), name],
        )
    });
}

/// Runs build job `job`: `definition` (checked at submission) creating index `index` in `schema`.
pub fn run(cx: &LongLived, job: i64, definition: &str, schema: &str, index: &str) {
    let stmt = submit::index_stmt(cx, definition);
    unsafe {
        (*stmt).idxname = cx.cstr(index);
    }
    let (relid, kind) = transaction(|| {
        let relid = unsafe { pg_sys::RangeVarGetRelidExtended((*stmt).relation, pg_sys::NoLock as i32, 0, None, std::ptr::null_mut()) };
        let kind = spi::text_one("SELECT relkind::pg_catalog.text FROM pg_catalog.pg_class WHERE oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid", &[&u32::from(relid).to_string()]);
        (relid, kind.unwrap_or_default())
    });
    let inherit = unsafe { (*(*stmt).relation).inh };
    if kind == "p" && inherit {
        partitioned(cx, job, stmt, relid, &qualified(schema, index), definition);
    } else {
        record_created(job, &qualified(schema, index));
        unsafe { (*stmt).concurrent = kind != "p" };
        toplevel::run(cx, stmt as *mut pg_sys::Node, definition);
    }
}

/// The partitions of `relid` that have no index attached to `parent_index` yet:
/// (oid, schema, name, relkind).
fn partitions(relid: pg_sys::Oid, parent_index: &str) -> Vec<(u32, String, String, String)> {
    transaction(|| {
        spi::json_rows(
            "SELECT pg_catalog.jsonb_build_array(c.oid::pg_catalog.int8, n.nspname, c.relname, c.relkind) \
               FROM pg_catalog.pg_inherits AS i JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid \
               JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
              WHERE i.inhparent OPERATOR(pg_catalog.=) $1::pg_catalog.oid \
                AND NOT EXISTS (SELECT FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_inherits AS ii ON ii.inhrelid OPERATOR(pg_catalog.=) x.indexrelid \
                                 WHERE x.indrelid OPERATOR(pg_catalog.=) c.oid AND ii.inhparent OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2)::pg_catalog.oid) \
              ORDER BY c.oid",
            &[&u32::from(relid).to_string(), parent_index],
        )
    })
    .into_iter()
    .filter_map(|v| {
        let a = v.as_array()?;
        Some((a.first()?.as_u64()? as u32, a.get(1)?.as_str()?.to_string(), a.get(2)?.as_str()?.to_string(), a.get(3)?.as_str()?.to_string()))
    })
    .collect()
}

fn partitioned(cx: &LongLived, job: i64, stmt: *mut pg_sys::IndexStmt, relid: pg_sys::Oid, target: &str, definition: &str) {
    record_created(job, target);
    let only = cx.within(|| unsafe { pg_sys::copyObjectImpl(stmt as *const std::ffi::c_void) as *mut pg_sys::IndexStmt });
    unsafe {
        (*only).concurrent = false;
        (*(*only).relation).inh = false;
    }
    toplevel::run(cx, only as *mut pg_sys::Node, definition);
    let columns = submit::column_part(stmt);
    for (oid, schema, table, kind) in partitions(relid, target) {
        let name = transaction(|| names::choose(&table, Some(&columns), "idx", |n| submit::name_taken(&schema, n)));
        let child = cx.within(|| unsafe {
            let c = pg_sys::copyObjectImpl(stmt as *const std::ffi::c_void) as *mut pg_sys::IndexStmt;
            (*c).relation = pg_sys::makeRangeVar(cx.cstr(&schema), cx.cstr(&table), -1);
            (*c).idxname = cx.cstr(&name);
            c
        });
        let child_target = qualified(&schema, &name);
        if kind == "p" {
            partitioned(cx, job, child, pg_sys::Oid::from(oid), &child_target, definition);
        } else {
            record_created(job, &child_target);
            unsafe { (*child).concurrent = true };
            toplevel::run(cx, child as *mut pg_sys::Node, definition);
        }
        transaction(|| spi::run(&format!("ALTER INDEX {target} ATTACH PARTITION {child_target}"), &[]));
    }
}

/// Drops what a failed build created (`created`, in creation order: a partitioned index
/// first takes its attached partitions' indexes with it; the others go concurrently).
pub fn drop_created(cx: &LongLived, created: &[String]) {
    for name in created {
        let kind = transaction(|| {
            spi::text_one(
                "SELECT c.relkind::pg_catalog.text FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)::pg_catalog.oid",
                &[name],
            )
        });
        match kind.as_deref() {
            Some("I") => toplevel::run_sql(cx, &format!("DROP INDEX IF EXISTS {name}")),
            Some("i") => toplevel::run_sql(cx, &format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")),
            _ => {}
        }
    }
}
