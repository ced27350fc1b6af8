//! Row files for a collection's bulk insert, in Milvus's layouts: row-based JSON (a
//! document or JSON lines), Parquet (a column per field), and NumPy (a `.npy` file per
//! field, all the files of one import together making the rows).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::npy_column::NpyColumn;
use crate::error::{Error, Result};

/// The layout of a bulk-insert file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFormat {
    Json,
    JsonLines,
    Npy,
    Parquet,
}

impl RowFormat {
    /// `json`, `jsonl` (or `ndjson`), `npy` or `parquet` (case-insensitive, an optional dot).
    pub fn parse(name: &str) -> Result<RowFormat> {
        match name.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "json" => Ok(RowFormat::Json),
            "jsonl" | "ndjson" => Ok(RowFormat::JsonLines),
            "npy" => Ok(RowFormat::Npy),
            "parquet" => Ok(RowFormat::Parquet),
            _ => Err(Error::param(format!("unknown file format \"{name}\""))
                .with_detail("supported formats: json, jsonl, npy, parquet")),
        }
    }

    /// The format a file name's extension names, if any.
    pub fn from_path(path: &str) -> Option<RowFormat> {
        let ext = file_name(path).rsplit_once('.')?.1;
        RowFormat::parse(ext).ok()
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The field a NumPy file of Milvus's layout holds: its name without directory and extension.
pub fn npy_field(path: &str) -> &str {
    let name = file_name(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// The `.npy` files of one import, a field each, read row by row as JSON objects.
#[derive(Debug)]
pub struct NpySet<'a> {
    columns: Vec<(String, NpyColumn<'a>)>,
    rows: usize,
}

impl<'a> NpySet<'a> {
    /// `files` are (path, bytes); each is opened as the field its name names. Errors name
    /// the file.
    pub fn open(files: &[(&str, &'a [u8])]) -> Result<NpySet<'a>> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let mut columns = Vec::with_capacity(files.len());
        let mut rows: Option<(usize, &str)> = None;
        for &(path, bytes) in files {
            let field = npy_field(path);
            if let Some(other) = seen.insert(field, path) {
                return Err(Error::param(format!("files \"{other}\" and \"{path}\" both hold field \"{field}\"")));
            }
            let col = NpyColumn::open(bytes).map_err(|e| in_file(path, e))?;
            match rows {
                None => rows = Some((col.rows(), path)),
                Some((n, first)) if n != col.rows() => {
                    return Err(super::bad_file(format!(
                        "file \"{path}\" holds {} rows, file \"{first}\" holds {n}",
                        col.rows()
                    )))
                }
                Some(_) => {}
            }
            columns.push((field.to_string(), col));
        }
        Ok(NpySet { columns, rows: rows.map_or(0, |r| r.0) })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `i` (0-based) as an object of field: value.
    pub fn row(&self, i: usize) -> Result<Value> {
        let mut m = Map::new();
        for (field, col) in &self.columns {
            let v = col.value(i).map_err(|e| Error::new(e.kind, format!("row {}: field \"{field}\": {}", i + 1, e.message)))?;
            m.insert(field.clone(), v);
        }
        Ok(Value::Object(m))
    }
}

/// `e` with the file named in its message.
pub fn in_file(path: &str, mut e: Error) -> Error {
    e.message = format!("file \"{path}\": {}", e.message);
    e
}
