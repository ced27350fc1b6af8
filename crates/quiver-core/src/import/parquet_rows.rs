//! Parquet files as Milvus's bulk insert writes them: a column per field (vectors as lists
//! of numbers), read row group by row group with the `parquet` crate straight from the
//! memory map, each row handed on as a JSON object.

use bytes::Bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::{Map, Number, Value};

use super::bad_file;
use crate::error::{Error, Result};

/// Bytes that own `owner` (a memory map, say) without copying it.
pub fn owned_bytes<T: AsRef<[u8]> + Send + Sync + 'static>(owner: T) -> Bytes {
    Bytes::from_owner(owner)
}

/// Runs a step of the Parquet reader, turning a panic inside it (the crate can panic on
/// some corrupt files) into a file error. Never wraps the row callback, which may raise.
fn guarded<T>(what: &str, f: impl FnOnce() -> parquet::errors::Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| bad_file(format!("{what}: {e}"))),
        Err(_) => Err(bad_file(format!("{what}: the Parquet reader failed on damaged data"))),
    }
}

/// Calls `row(n, object)` for every row of the Parquet file in `bytes` (n from 1) and returns
/// how many there were.
pub fn for_each_row(bytes: Bytes, row: &mut dyn FnMut(usize, Value) -> Result<()>) -> Result<usize> {
    let reader = guarded("invalid Parquet file", || SerializedFileReader::new(bytes))?;
    let mut rows = guarded("invalid Parquet file", || reader.get_row_iter(None))?;
    let mut n = 0;
    loop {
        let next = guarded(&format!("row {}: invalid Parquet data", n + 1), || rows.next().transpose())?;
        let Some(r) = next else { break };
        n += 1;
        let mut obj = Map::new();
        for (name, field) in r.get_column_iter() {
            let v = json(field).map_err(|e| Error::new(e.kind, format!("row {n}: field \"{name}\": {}", e.message)))?;
            obj.insert(name.clone(), v);
        }
        row(n, Value::Object(obj))?;
    }
    Ok(n)
}

fn number(x: f64) -> Result<Value> {
    Number::from_f64(x).map(Value::Number).ok_or_else(|| Error::data(format!("{x} is not a finite number")))
}

/// A Parquet value as JSON; floats must be finite (NaN is an error, not a NULL).
fn json(f: &Field) -> Result<Value> {
    Ok(match f {
        Field::Float16(x) => number(f64::from(*x))?,
        Field::Float(x) => number(f64::from(*x))?,
        Field::Double(x) => number(*x)?,
        Field::ListInternal(l) => Value::Array(l.elements().iter().map(json).collect::<Result<_>>()?),
        Field::Group(g) => {
            let mut m = Map::new();
            for (k, v) in g.get_column_iter() {
                m.insert(k.clone(), json(v)?);
            }
            Value::Object(m)
        }
        other => other.to_json_value(),
    })
}
