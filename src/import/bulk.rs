//! `quiver.bulk_insert(collection, files, options, partition_name)`: Milvus's bulk insert
//! for collections. Each file is memory-mapped and read by quiver-core (row-based JSON,
//! JSON lines, Parquet, or a NumPy file per field); its rows go through the same validation
//! and INSERT as `quiver.insert`, in batches, so that the whole import is one transaction: a
//! bad row anywhere rolls it all back, with an error naming the file, the row and the field.
//! Progress shows in `pg_stat_progress_copy` (rows and bytes done, bytes in all).

use quiver_core::collection::ident::quote_literal;
use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::rows::Mode;
use quiver_core::collection::types::DataType;
use quiver_core::import::{self as files, in_file, JsonLayout, NpySet, RowFormat};
use quiver_core::{Error, ErrorKind, Result};
use serde_json::{json, Value};

use crate::collections::args::{optional, required, Jsonb, Text, TextArray};
use crate::collections::catalog::{self, Collection};
use crate::collections::{data, partition};
use crate::error::raise;

/// Rows per INSERT.
const BATCH_ROWS: usize = 1000;

struct Options {
    format: Option<RowFormat>,
    /// Run as a background job (quiver.jobs); the call returns {"job": id}.
    background: bool,
}

fn options(v: Option<Value>) -> Options {
    let mut o = Options { format: None, background: false };
    let Some(v) = v else { return o };
    let Some(map) = v.as_object() else { raise(Error::param("options must be a JSON object")) };
    for (k, val) in map {
        match k.as_str() {
            "format" => {
                let name = val.as_str().unwrap_or_else(|| raise(Error::param("option \"format\" must be a string")));
                o.format = Some(RowFormat::parse(name).unwrap_or_else(|e| raise(e)));
            }
            "async" => {
                o.background = val.as_bool().unwrap_or_else(|| raise(Error::param("option \"async\" must be true or false")));
            }
            other => raise(Error::param(format!("unknown option \"{other}\"")).with_detail("bulk_insert accepts: format, async")),
        }
    }
    o
}

/// The rows of one import go to the collection a batch at a time.
struct Sink<'c> {
    coll: &'c Collection,
    partition: Option<&'c str>,
    batch: Vec<Value>,
    /// File row number (from 1) of the batch's first row.
    first: usize,
    done: u64,
    bytes_done: u64,
}

impl Sink<'_> {
    fn push(&mut self, row_no: usize, row: Value) -> Result<()> {
        if self.batch.is_empty() {
            self.first = row_no;
        }
        self.batch.push(row);
        if self.batch.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        pgrx::check_for_interrupts!();
        let rows = Value::Array(std::mem::take(&mut self.batch));
        let n = data::insert_numbered(self.coll, &rows, Mode::Insert, self.partition, self.first)?.len();
        self.done += n as u64;
        progress(pg_sys::PROGRESS_COPY_TUPLES_PROCESSED, self.done as i64);
        Ok(())
    }

    fn file_done(&mut self, bytes: usize) {
        self.bytes_done += bytes as u64;
        progress(pg_sys::PROGRESS_COPY_BYTES_PROCESSED, self.bytes_done as i64);
    }
}

fn progress(param: u32, value: i64) {
    unsafe { pg_sys::pgstat_progress_update_param(param as i32, value) };
}

/// Values of JSON fields that columnar files (NumPy, Parquet) hold as JSON text, parsed.
fn parse_json_fields(coll: &Collection, row: &mut Value, row_no: usize) -> Result<()> {
    let Some(obj) = row.as_object_mut() else { return Ok(()) };
    for f in coll.fields.iter().filter(|f| f.data_type == DataType::Json) {
        if let Some(Value::String(s)) = obj.get(&f.name) {
            let parsed: Value = serde_json::from_str(s).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidTextRepresentation,
                    format!("row {row_no}: field \"{}\": invalid JSON text: {e}", f.name),
                )
            })?;
            obj.insert(f.name.clone(), parsed);
        }
    }
    Ok(())
}

fn format_of(path: &str, given: Option<RowFormat>) -> RowFormat {
    given.or_else(|| RowFormat::from_path(path)).unwrap_or_else(|| {
        raise(
            Error::param(format!("cannot tell the format of \"{path}\" from its name"))
                .with_detail("name it .json, .jsonl, .npy or .parquet, or pass options => '{\"format\": ...}'"),
        )
    })
}

/// Loads the rows of `files` into the collection; returns `{"insert_count": n}`.
#[pg_extern(sql = false)]
fn bulk_insert(
    collection: Option<Text>,
    files_arg: Option<TextArray>,
    options_json: Option<Jsonb>,
    partition_name: Option<Text>,
) -> JsonB {
    let coll = catalog::load(required("collection", collection));
    let paths = required("files", files_arg);
    let options_value = optional("options", options_json);
    let opts = options(options_value.clone());
    let partition_name = optional("partition_name", partition_name);
    if paths.is_empty() {
        raise(Error::param("files must name at least one file"));
    }
    super::require_read_server_files();
    if let Some(p) = partition_name {
        partition::require(&coll, p);
    }
    let formats: Vec<RowFormat> = paths.iter().map(|p| format_of(p, opts.format)).collect();
    let npy = formats.iter().filter(|f| **f == RowFormat::Npy).count();
    if npy > 0 && npy < formats.len() {
        raise(Error::param("NumPy files cannot be mixed with other files in one bulk_insert").with_detail(
            "the .npy files of one call are one set of rows, a file per field; import other files in another call",
        ));
    }
    let maps: Vec<memmap2::Mmap> = paths.iter().map(|p| super::map_file(p)).collect();
    if opts.background {
        // checked as far as can be without loading: the job runs the same call
        let files: Vec<String> = paths.iter().map(|p| quote_literal(p)).collect();
        let command = format!(
            "SELECT quiver.bulk_insert({}, ARRAY[{}]::pg_catalog.text[], {}::pg_catalog.jsonb, {})",
            quote_literal(&coll.name),
            files.join(", "),
            quote_literal(&super::without_async(options_value)),
            partition_name.map_or("NULL".to_string(), quote_literal),
        );
        let job = crate::jobs::submit::import(pg_sys::Oid::from(coll.relid), &command);
        return JsonB(serde_json::json!({"job": job}));
    }
    unsafe {
        pg_sys::pgstat_progress_start_command(pg_sys::ProgressCommandType::PROGRESS_COMMAND_COPY, pg_sys::Oid::from(coll.relid));
    }
    progress(pg_sys::PROGRESS_COPY_COMMAND, pg_sys::PROGRESS_COPY_COMMAND_FROM as i64);
    progress(pg_sys::PROGRESS_COPY_TYPE, pg_sys::PROGRESS_COPY_TYPE_FILE as i64);
    progress(pg_sys::PROGRESS_COPY_BYTES_TOTAL, maps.iter().map(|m| m.len() as i64).sum());

    let mut sink = Sink { coll: &coll, partition: partition_name, batch: Vec::new(), first: 1, done: 0, bytes_done: 0 };
    if npy > 0 {
        let named: Vec<(&str, &[u8])> = paths.iter().map(String::as_str).zip(maps.iter().map(|m| &m[..])).collect();
        let set = NpySet::open(&named).unwrap_or_else(|e| raise(e));
        let label = paths.join(", ");
        let loaded = (0..set.rows())
            .try_for_each(|i| {
                let mut row = set.row(i)?;
                parse_json_fields(&coll, &mut row, i + 1)?;
                sink.push(i + 1, row)
            })
            .and_then(|()| sink.flush());
        if let Err(e) = loaded {
            raise(in_files(&label, e));
        }
        sink.file_done(maps.iter().map(|m| m.len()).sum());
    } else {
        for ((path, format), map) in paths.iter().zip(&formats).zip(maps) {
            let len = map.len();
            let loaded = match format {
                RowFormat::Json | RowFormat::JsonLines => {
                    let layout = if *format == RowFormat::Json { JsonLayout::Document } else { JsonLayout::Lines };
                    files::json_rows(&map, layout, &mut |n, row| sink.push(n, row))
                }
                RowFormat::Parquet => files::parquet_rows(files::owned_bytes(map), &mut |n, mut row| {
                    parse_json_fields(&coll, &mut row, n)?;
                    sink.push(n, row)
                }),
                RowFormat::Npy => unreachable!("NumPy files are imported as a set above"),
            }
            .and_then(|rows| sink.flush().map(|()| rows));
            if let Err(e) = loaded {
                raise(in_file(path, e));
            }
            sink.file_done(len);
        }
    }
    unsafe { pg_sys::pgstat_progress_end_command() };
    JsonB(json!({"insert_count": sink.done}))
}

/// `e` with the NumPy files of a set named in its message.
fn in_files(label: &str, mut e: Error) -> Error {
    e.message = format!("files {label}: {}", e.message);
    e
}
