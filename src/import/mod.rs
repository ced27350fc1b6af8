//! Bulk import from server files: `quiver.import_vectors(table, column, file, ...)`.
//!
//! The file is memory-mapped and validated by quiver-core's readers; its rows are then
//! streamed as binary COPY data into PostgreSQL's own COPY FROM machinery (`BeginCopyFrom`
//! with a data callback, `CopyFrom`), so the rows take the executor's bulk insert path:
//! multi-row heap inserts, index maintenance, defaults for the other columns, constraints,
//! triggers, partition routing and `pg_stat_progress_copy`, exactly as `COPY` does.

mod bulk;
mod deferred;
mod stream;

use quiver_core::collection::ident::quote_literal;
use pgrx::prelude::*;
use quiver_core::import::{in_file, Format, VectorFile};
use quiver_core::{Error, ErrorKind};
use serde_json::Value;

use crate::collections::args::{optional, required, Jsonb, Text};
use crate::collections::spi;
use crate::error::raise;
use stream::{IdKind, Spec, Stream, VectorType};

/// Raise a 42501 insufficient_privilege error.
fn denied(message: String, detail: Option<&str>) -> ! {
    let mut e =
        pgrx::pg_sys::panic::ErrorReport::new(PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, message, "quiver");
    if let Some(d) = detail {
        e = e.set_detail(d);
    }
    e.report(PgLogLevel::ERROR);
    unreachable!("ERROR-level report returned")
}

/// Reading server files takes what COPY FROM a file takes.
pub(crate) fn require_read_server_files() {
    let can_read =
        spi::text_one("SELECT pg_catalog.pg_has_role('pg_read_server_files', 'USAGE')::pg_catalog.text", &[]);
    if can_read.as_deref() != Some("true") {
        denied(
            "permission denied to import from a file".to_string(),
            Some("Only roles with privileges of the \"pg_read_server_files\" role may import from server files."),
        );
    }
}

/// What the catalog says about a target column.
struct Column {
    attnum: i64,
    typname: String,
    ours: bool,
    typmod: i32,
    insert_ok: bool,
}

fn column(relid: &str, name: &str) -> Column {
    let sql = "SELECT pg_catalog.jsonb_build_object( \
            'attnum', a.attnum::pg_catalog.int8, 'typname', t.typname::pg_catalog.text, \
            'ours', t.typnamespace OPERATOR(pg_catalog.=) (SELECT e.extnamespace FROM pg_catalog.pg_extension AS e \
                                                         WHERE e.extname OPERATOR(pg_catalog.=) 'quiver'), \
            'catalog', t.typnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace, \
            'typmod', a.atttypmod::pg_catalog.int8, \
            'insert', pg_catalog.has_column_privilege($1::pg_catalog.oid, a.attnum, 'INSERT')) \
          FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid OPERATOR(pg_catalog.=) a.atttypid \
         WHERE a.attrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name \
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped";
    let Some(row) = spi::json_one(sql, &[relid, name]) else {
        raise(Error::new(ErrorKind::UndefinedColumn, format!("column \"{name}\" does not exist")))
    };
    let int = |k: &str| row.get(k).and_then(Value::as_i64).unwrap_or(0);
    let flag = |k: &str| row.get(k).and_then(Value::as_bool).unwrap_or(false);
    let typname = row.get("typname").and_then(Value::as_str).unwrap_or("").to_string();
    Column {
        attnum: int("attnum"),
        ours: flag("ours") || (flag("catalog") && typname.starts_with("int")),
        typname,
        typmod: int("typmod") as i32,
        insert_ok: flag("insert"),
    }
}

/// Options the `options` argument accepts.
struct Options {
    id_start: i64,
    defer: deferred::Defer,
    /// Run as a background job (quiver.jobs); the call returns the job id.
    background: bool,
}

fn options(v: Option<serde_json::Value>) -> Options {
    let mut o = Options { id_start: 0, defer: deferred::Defer::Auto, background: false };
    let Some(v) = v else { return o };
    let Some(map) = v.as_object() else {
        raise(Error::param("options must be a JSON object"));
    };
    for (k, val) in map {
        match k.as_str() {
            "id_start" => {
                o.id_start =
                    val.as_i64().unwrap_or_else(|| raise(Error::param("option \"id_start\" must be an integer")));
            }
            "defer_indexes" => {
                o.defer = match val {
                    Value::Bool(true) => deferred::Defer::Always,
                    Value::Bool(false) => deferred::Defer::Never,
                    Value::String(s) if s == "auto" => deferred::Defer::Auto,
                    _ => raise(Error::param("option \"defer_indexes\" must be true, false or \"auto\"")),
                };
            }
            "async" => {
                o.background = val.as_bool().unwrap_or_else(|| raise(Error::param("option \"async\" must be true or false")));
            }
            other => raise(
                Error::param(format!("unknown option \"{other}\""))
                    .with_detail("import_vectors accepts: id_start, defer_indexes, async"),
            ),
        }
    }
    o
}

/// `options` without its "async" key, as JSON text (for the job's own call).
pub fn without_async(options: Option<Value>) -> String {
    let mut v = options.unwrap_or_else(|| Value::Object(Default::default()));
    if let Some(m) = v.as_object_mut() {
        m.remove("async");
    }
    v.to_string()
}

fn io_error(path: &str, e: &std::io::Error) -> ! {
    let code = match e.kind() {
        std::io::ErrorKind::NotFound => PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
        std::io::ErrorKind::PermissionDenied => PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        _ => PgSqlErrorCode::ERRCODE_IO_ERROR,
    };
    crate::error::raise_code(code, format!("could not open file \"{path}\" for reading: {e}"))
}

/// Opens and memory-maps a regular server file (checked before it is opened, so that a FIFO
/// or a device is refused instead of blocking the backend).
pub(crate) fn map_file(path: &str) -> memmap2::Mmap {
    use std::os::unix::fs::OpenOptionsExt;
    let meta = std::fs::metadata(path).unwrap_or_else(|e| io_error(path, &e));
    if meta.is_dir() {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("\"{path}\" is a directory"));
    }
    if !meta.is_file() {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
            format!("\"{path}\" is not a regular file"),
        );
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .unwrap_or_else(|e| io_error(path, &e));
    if meta.len() == 0 {
        // mmap of an empty file fails; an empty anonymous map reads as no bytes.
        return memmap2::MmapMut::map_anon(0).and_then(|m| m.make_read_only()).unwrap_or_else(|e| {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_IO_ERROR, format!("could not map file \"{path}\": {e}"))
        });
    }
    // SAFETY: the map is read-only; a file truncated by another process while it is read
    // raises SIGBUS, as for any server file PostgreSQL maps (documented in the README).
    unsafe { memmap2::Mmap::map(&file) }.unwrap_or_else(|e| {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_IO_ERROR, format!("could not map file \"{path}\": {e}"))
    })
}

/// Loads the vectors of `file` into `column` of `table` (with `id_column`, if given, set to
/// each row's 0-based position in the file plus `options.id_start`); returns the rows loaded.
#[pg_extern(sql = false)]
fn import_vectors(
    table: Option<pg_sys::Oid>,
    column_name: Option<Text>,
    file: Option<Text>,
    format: Option<Text>,
    id_column: Option<Text>,
    options_json: Option<Jsonb>,
) -> i64 {
    let Some(relid) = table else {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "table must not be null")
    };
    let column_name = required("column", column_name);
    let path = required("file", file);
    let format = optional("format", format);
    let format_arg = format;
    let id_column = optional("id_column", id_column);
    let options_value = optional("options", options_json);
    let opts = options(options_value.clone());
    require_read_server_files();
    let format = match format {
        Some(f) => Format::parse(f).unwrap_or_else(|e| raise(e)),
        None => Format::from_path(path).unwrap_or_else(|| {
            raise(
                Error::param(format!("cannot tell the format of \"{path}\" from its name"))
                    .with_detail("name the format: npy, fvecs, bvecs or ivecs".to_string()),
            )
        }),
    };
    let rel_text = relid.to_u32().to_string();
    let rls = spi::text_one("SELECT pg_catalog.row_security_active($1::pg_catalog.oid)::pg_catalog.text", &[&rel_text]);
    if rls.as_deref() == Some("true") {
        raise(
            Error::new(
                ErrorKind::FeatureNotSupported,
                "import_vectors is not supported for tables with row-level security",
            )
            .with_detail("Use INSERT statements instead.".to_string()),
        );
    }
    let target = column(&rel_text, column_name);
    let vtype = match (target.ours, target.typname.as_str()) {
        (true, "vector") => VectorType::Vector,
        (true, "halfvec") => VectorType::Halfvec,
        _ => raise(Error::new(
            ErrorKind::DatatypeMismatch,
            format!("column \"{column_name}\" is of type {}, not vector or halfvec", target.typname),
        )),
    };
    let id = id_column.map(|name| {
        let c = column(&rel_text, name);
        let kind = match (c.ours, c.typname.as_str()) {
            (true, "int2") => IdKind::Int2,
            (true, "int4") => IdKind::Int4,
            (true, "int8") => IdKind::Int8,
            _ => raise(Error::new(
                ErrorKind::DatatypeMismatch,
                format!("id column \"{name}\" is of type {}, not smallint, integer or bigint", c.typname),
            )),
        };
        if c.attnum == target.attnum {
            raise(Error::param("the id column and the vector column must differ"));
        }
        (name.to_string(), kind, c.insert_ok)
    });
    if !target.insert_ok || id.as_ref().is_some_and(|i| !i.2) {
        let relname = spi::text_one(
            "SELECT c.relname::pg_catalog.text FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
            &[&rel_text],
        ).unwrap_or_default();
        denied(format!("permission denied for table {relname}"), None);
    }

    let map = map_file(path);
    let (rows, dim) = match VectorFile::open(&map, format) {
        Ok(f) => (f.rows(), f.dim()),
        Err(e) => raise(in_file(path, e)),
    };
    if target.typmod > 0 && rows > 0 && dim as i32 != target.typmod {
        raise(Error::data(format!(
            "file \"{path}\" holds vectors of {dim} dimensions, column \"{column_name}\" is {}({})",
            target.typname, target.typmod
        )));
    }
    if opts.background {
        // checked as far as can be without loading: the job runs the same call
        let lit = |v: Option<&str>| v.map_or("NULL".to_string(), quote_literal);
        let command = format!(
            "SELECT quiver.import_vectors({}::pg_catalog.oid::pg_catalog.regclass, {}, {}, {}, {}, {}::pg_catalog.jsonb)",
            relid.to_u32(),
            lit(Some(column_name)),
            lit(Some(path)),
            lit(format_arg),
            lit(id_column),
            lit(Some(&without_async(options_value))),
        );
        return crate::jobs::submit::import(relid, &command);
    }
    let mut columns = vec![column_name.to_string()];
    let id_kind = id.map(|(name, kind, _)| {
        columns.insert(0, name);
        kind
    });
    let spec =
        Spec { path: path.to_string(), column: column_name.to_string(), vtype, id: id_kind, id_start: opts.id_start };
    let stream = Stream::new(map, format, spec);
    let dropped = if rows > 0 { deferred::drop_if_worth_it(&rel_text, opts.defer) } else { None };
    let loaded = stream::copy_into(relid, &columns, stream);
    if let Some(d) = dropped {
        d.rebuild();
    }
    loaded
}
