//! Rows inserted through `insert` / `upsert` (Milvus row format: an array of JSON objects):
//! validated against the schema, with errors naming the row and the field, and normalised
//! into one JSON object per row whose values `jsonb_to_recordset` turns into the columns.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::dml::{pk_json, ROW};
use super::ident::{pg, qualified, quote_ident, Ext};
use super::schema::{CollectionDef, FieldDef, DEFAULT_PARTITION, DYNAMIC_COLUMN, PARTITION_COLUMN};
use super::types::DataType;
use super::ddl::column_type;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::SPARSEVEC_MAX_DIM;
use crate::sparse::SparseVec;
use crate::text::{format_sparsevec, format_vector};

/// Fixed dimension of sparse vectors stored from Milvus rows (Milvus sparse vectors have
/// no declared dimension; indexes are 0-based and must stay below this).
pub const SPARSE_DIM: usize = SPARSEVEC_MAX_DIM;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Insert,
    Upsert,
}

/// Rows ready for `INSERT ... SELECT ... FROM jsonb_to_recordset($1)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// (column, field) in insertion order; `None` for the dynamic and partition columns.
    pub columns: Vec<(String, Option<FieldDef>)>,
    pub rows: Vec<Value>,
    /// Primary keys given in the rows (empty when the collection generates them).
    pub pks: Vec<Value>,
}

/// The alias of the prepared rows in [`Prepared::insert_sql`].
const ROWS: &str = "r";

impl Prepared {
    /// The INSERT statement; `$1` is the JSON array of prepared rows. It returns the
    /// primary key of each inserted row as jsonb.
    pub fn insert_sql(&self, def: &CollectionDef, ext: &Ext) -> String {
        let cols: Vec<String> = self.columns.iter().map(|(c, _)| quote_ident(c)).collect();
        let values: Vec<String> = cols.iter().map(|c| format!("{ROWS}.{c}")).collect();
        let defs: Vec<String> = self
            .columns
            .iter()
            .map(|(c, f)| {
                let t = match (f, c.as_str()) {
                    (Some(f), _) => column_type(f, ext),
                    (None, DYNAMIC_COLUMN) => pg("jsonb"),
                    (None, _) => pg("text"),
                };
                format!("{} {t}", quote_ident(c))
            })
            .collect();
        format!(
            "INSERT INTO {} AS {ROW} ({}) SELECT {} FROM {}($1::{}) AS {ROWS}({}) RETURNING {}",
            qualified(&def.schema, &def.name),
            cols.join(", "),
            values.join(", "),
            pg("jsonb_to_recordset"),
            pg("jsonb"),
            defs.join(", "),
            pk_json(def)
        )
    }
}

fn err(kind: ErrorKind, row: usize, msg: String) -> Error {
    Error::new(kind, format!("row {row}: {msg}"))
}

/// Validates `rows` (an array of objects, or one object) for `def`; errors number the rows
/// from 0.
pub fn prepare(def: &CollectionDef, rows: &Value, mode: Mode, partition: Option<&str>) -> Result<Prepared> {
    prepare_numbered(def, rows, mode, partition, 0)
}

/// [`prepare`], with errors numbering the rows from `first` (bulk imports number a file's
/// rows from 1 across its batches).
pub fn prepare_numbered(def: &CollectionDef, rows: &Value, mode: Mode, partition: Option<&str>, first: usize) -> Result<Prepared> {
    let list: Vec<&Value> = match rows {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![rows],
        _ => return Err(Error::param("rows must be a JSON array of objects")),
    };
    if list.is_empty() {
        return Err(Error::param("no rows to insert"));
    }
    if partition.is_some() && def.partition_key.is_some() {
        return Err(Error::param(format!(
            "collection \"{}\" routes rows by its partition key; do not name a partition",
            def.name
        )));
    }
    let pk = def.primary();
    let generate_pk = pk.auto_id && mode == Mode::Insert;
    let mut columns: Vec<(String, Option<FieldDef>)> = def
        .fields
        .iter()
        .filter(|f| !(f.is_primary && generate_pk))
        .map(|f| (f.name.clone(), Some(f.clone())))
        .collect();
    if def.enable_dynamic_field {
        columns.push((DYNAMIC_COLUMN.into(), None));
    }
    if def.partition_key.is_none() {
        columns.push((PARTITION_COLUMN.into(), None));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut pks = Vec::new();
    let mut seen = HashSet::new();
    for (i, row) in list.into_iter().enumerate() {
        let i = first + i;
        let obj = row.as_object().ok_or_else(|| err(ErrorKind::DatatypeMismatch, i, "is not a JSON object".into()))?;
        let mut r = Map::new();
        for f in &def.fields {
            if f.is_primary && generate_pk {
                if obj.get(&f.name).is_some_and(|v| !v.is_null()) {
                    return Err(err(ErrorKind::InvalidParameterValue, i, format!(
                        "field \"{}\" is generated (auto_id); do not supply it on insert", f.name
                    )));
                }
                continue;
            }
            let v = value(f, obj.get(&f.name), i)?;
            if f.is_primary {
                if !seen.insert(v.to_string()) {
                    return Err(err(ErrorKind::UniqueViolation, i, format!("duplicate primary key {v} in this batch")));
                }
                pks.push(v.clone());
            }
            r.insert(f.name.clone(), v);
        }
        let extra: Map<String, Value> = obj.iter().filter(|(k, _)| def.field(k).is_none()).map(|(k, v)| (k.clone(), v.clone())).collect();
        if def.enable_dynamic_field {
            r.insert(DYNAMIC_COLUMN.into(), Value::Object(extra));
        } else if let Some(k) = extra.keys().next() {
            return Err(err(ErrorKind::UndefinedColumn, i, format!("field \"{k}\" is not in the schema of collection \"{}\" (and it has no dynamic field)", def.name)));
        }
        if def.partition_key.is_none() {
            r.insert(PARTITION_COLUMN.into(), Value::String(partition.unwrap_or(DEFAULT_PARTITION).into()));
        }
        out.push(Value::Object(r));
    }
    Ok(Prepared { columns, rows: out, pks })
}

/// The normalised value of field `f` in row `row` (`given` is the row's value, if any).
fn value(f: &FieldDef, given: Option<&Value>, row: usize) -> Result<Value> {
    let v = match given {
        Some(v) if !v.is_null() => v,
        _ => {
            return match (&f.default_value, f.nullable) {
                (Some(d), _) => Ok(d.clone()),
                (None, true) => Ok(Value::Null),
                (None, false) => Err(err(ErrorKind::NotNullViolation, row, format!("missing value for field \"{}\"", f.name))),
            }
        }
    };
    convert(f, f.data_type, v).map_err(|e| Error::new(e.kind, format!("row {row}: field \"{}\": {}", f.name, e.message)))
}

fn mismatch(expected: &str, v: &Value) -> Error {
    let got = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Error::new(ErrorKind::DatatypeMismatch, format!("expected {expected}, got {got}"))
}

fn convert(f: &FieldDef, t: DataType, v: &Value) -> Result<Value> {
    match t {
        DataType::Bool => v.as_bool().map(Value::Bool).ok_or_else(|| mismatch("a boolean", v)),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let i = v.as_i64().ok_or_else(|| mismatch(&format!("an integer ({})", t.name()), v))?;
            let (lo, hi) = t.int_range().unwrap_or((i64::MIN, i64::MAX));
            if i < lo || i > hi {
                return Err(Error::new(ErrorKind::NumericValueOutOfRange, format!("{i} is out of range for {}", t.name())));
            }
            Ok(Value::from(i))
        }
        DataType::Float | DataType::Double => {
            let x = v.as_f64().ok_or_else(|| mismatch("a number", v))?;
            if t == DataType::Float && x.abs() > f32::MAX as f64 {
                return Err(Error::new(ErrorKind::NumericValueOutOfRange, format!("{x} is out of range for float")));
            }
            Ok(v.clone())
        }
        DataType::Varchar => {
            let s = v.as_str().ok_or_else(|| mismatch("a string", v))?;
            let max = f.max_length.unwrap_or(u32::MAX) as usize;
            let n = s.chars().count();
            if n > max {
                return Err(Error::new(ErrorKind::StringDataRightTruncation, format!("{n} characters exceed max_length {max}")));
            }
            Ok(v.clone())
        }
        DataType::Json => Ok(v.clone()),
        DataType::Array => {
            let a = v.as_array().ok_or_else(|| mismatch("an array", v))?;
            let cap = f.max_capacity.unwrap_or(u32::MAX) as usize;
            if a.len() > cap {
                return Err(Error::new(ErrorKind::DataException, format!("{} elements exceed max_capacity {cap}", a.len())));
            }
            let e = f.element_type.unwrap_or(DataType::Int64);
            let items = a
                .iter()
                .enumerate()
                .map(|(j, x)| convert(f, e, x).map_err(|er| Error::new(er.kind, format!("element {j}: {}", er.message))))
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::Array(items))
        }
        DataType::FloatVector | DataType::Float16Vector => dense_text(f, t, v).map(Value::String),
        DataType::SparseFloatVector => sparse_text(v).map(Value::String),
        DataType::BinaryVector => bits_text(f, v).map(Value::String),
    }
}

/// A dense vector as the `vector`/`halfvec` text format, checking dimension and range.
pub fn dense_text(f: &FieldDef, t: DataType, v: &Value) -> Result<String> {
    let a = v.as_array().ok_or_else(|| mismatch("an array of numbers (a vector)", v))?;
    let dim = f.dim.unwrap_or(0) as usize;
    if a.len() != dim {
        return Err(Error::data(format!("expected {dim} dimensions, got {}", a.len())));
    }
    let limit = if t == DataType::Float16Vector { 65_504.0 } else { f32::MAX as f64 };
    let mut out = Vec::with_capacity(dim);
    for (j, x) in a.iter().enumerate() {
        let x = x.as_f64().ok_or_else(|| mismatch("numbers in the vector", x))?;
        if !x.is_finite() || x.abs() > limit {
            return Err(Error::data(format!("element {j} ({x}) is out of range")));
        }
        out.push(x as f32);
    }
    Ok(format_vector(&out))
}

/// A Milvus sparse vector (`{"index": value, ...}` or `{"indices": [...], "values": [...]}`,
/// 0-based indexes) as the `sparsevec` text format (1-based) with dimension [`SPARSE_DIM`].
pub fn sparse_text(v: &Value) -> Result<String> {
    let o = v.as_object().ok_or_else(|| mismatch("an object of index: value pairs (a sparse vector)", v))?;
    let mut pairs: Vec<(u64, f64)> = Vec::with_capacity(o.len());
    if o.contains_key("indices") || o.contains_key("values") {
        let idx = o.get("indices").and_then(Value::as_array).ok_or_else(|| mismatch("an \"indices\" array", v))?;
        let vals = o.get("values").and_then(Value::as_array).ok_or_else(|| mismatch("a \"values\" array", v))?;
        if idx.len() != vals.len() {
            return Err(Error::data("\"indices\" and \"values\" differ in length"));
        }
        for (i, x) in idx.iter().zip(vals) {
            let i = i.as_u64().ok_or_else(|| mismatch("non-negative integer indices", i))?;
            pairs.push((i, x.as_f64().ok_or_else(|| mismatch("numeric values", x))?));
        }
    } else {
        for (k, x) in o {
            let i = k.trim().parse::<u64>().map_err(|_| Error::data(format!("sparse index \"{k}\" is not a non-negative integer")))?;
            pairs.push((i, x.as_f64().ok_or_else(|| mismatch("numeric values", x))?));
        }
    }
    pairs.sort_by_key(|p| p.0);
    if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Error::data("duplicate sparse index"));
    }
    let mut v = SparseVec { dim: SPARSE_DIM as u32, indices: Vec::with_capacity(pairs.len()), values: Vec::with_capacity(pairs.len()) };
    for (i, x) in pairs {
        if i as usize >= SPARSE_DIM {
            return Err(Error::data(format!("sparse index {i} must be below {SPARSE_DIM}")));
        }
        if !x.is_finite() || x.abs() > f32::MAX as f64 {
            return Err(Error::data(format!("sparse value {x} is out of range")));
        }
        if x != 0.0 {
            // i < SPARSE_DIM = 10^9 fits an i32.
            v.indices.push(i as i32);
            v.values.push(x as f32);
        }
    }
    Ok(format_sparsevec(&v))
}

/// A binary vector as `bit` text: from a `"0101..."` string, an array of `dim` 0/1 values, or
/// an array of `dim / 8` bytes (0–255, most significant bit first, as Milvus packs them).
pub fn bits_text(f: &FieldDef, v: &Value) -> Result<String> {
    let dim = f.dim.unwrap_or(0) as usize;
    let bits: String = match v {
        Value::String(s) if s.chars().all(|c| c == '0' || c == '1') => s.clone(),
        Value::Array(a) if a.len() == dim && a.iter().all(|x| matches!(x.as_u64(), Some(0 | 1))) => {
            a.iter().map(|x| if x.as_u64() == Some(1) { '1' } else { '0' }).collect()
        }
        Value::Array(a) if a.len() * 8 == dim => {
            let mut s = String::with_capacity(dim);
            for x in a {
                let b = x.as_u64().filter(|b| *b <= 255).ok_or_else(|| Error::data("bytes of a binary vector must be 0..255"))?;
                s.push_str(&format!("{b:08b}"));
            }
            s
        }
        _ => return Err(mismatch(&format!("a binary vector of {dim} bits (a \"0101...\" string, {dim} 0/1 values or {} bytes)", dim / 8), v)),
    };
    if bits.len() != dim {
        return Err(Error::data(format!("expected {dim} bits, got {}", bits.len())));
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::schema::{CollectionDef, CreateArgs};
    use serde_json::json;

    fn def(dynamic: bool) -> CollectionDef {
        CollectionDef::from_args(&CreateArgs {
            name: "c".into(),
            db_schema: "public".into(),
            metric: "l2".into(),
            primary_key: "id".into(),
            schema: Some(json!({"enable_dynamic_field": dynamic, "fields": [
                {"name": "id", "type": "INT64", "is_primary": true},
                {"name": "v", "type": "FLOAT_VECTOR", "dim": 2},
                {"name": "title", "type": "VARCHAR", "max_length": 5},
                {"name": "n", "type": "INT8", "nullable": true},
                {"name": "score", "type": "FLOAT", "default_value": 1.5},
                {"name": "tags", "type": "ARRAY", "element_type": "VARCHAR", "max_length": 3, "max_capacity": 2, "nullable": true},
                {"name": "bits", "type": "BINARY_VECTOR", "dim": 8},
                {"name": "sp", "type": "SPARSE_FLOAT_VECTOR"}
            ]})),
            ..Default::default()
        })
        .unwrap()
    }

    fn row() -> Value {
        json!({"id": 7, "v": [1, 0.5], "title": "héllo", "bits": "10100000", "sp": {"3": 0.5, "0": 2}})
    }

    #[test]
    fn normalises_a_row() {
        let p = prepare(&def(true), &json!([row()]), Mode::Insert, None).unwrap();
        let r = &p.rows[0];
        assert_eq!(r["v"], json!("[1,0.5]"));
        assert_eq!(r["n"], Value::Null);
        assert_eq!(r["score"], json!(1.5));
        assert_eq!(r["bits"], json!("10100000"));
        assert_eq!(r["sp"], json!(format!("{{1:2,4:0.5}}/{SPARSE_DIM}")));
        assert_eq!(r["$meta"], json!({}));
        assert_eq!(r["$partition"], json!("_default"));
        assert_eq!(p.pks, vec![json!(7)]);
        let sql = p.insert_sql(&def(true), &Ext::new("q"));
        assert!(sql.starts_with(
            "INSERT INTO \"public\".\"c\" AS t (\"id\", \"v\", \"title\", \"n\", \"score\", \"tags\", \"bits\", \"sp\", \"$meta\", \"$partition\") \
             SELECT r.\"id\", r.\"v\", r.\"title\", r.\"n\", r.\"score\", r.\"tags\", r.\"bits\", r.\"sp\", r.\"$meta\", r.\"$partition\" \
             FROM pg_catalog.jsonb_to_recordset($1::pg_catalog.jsonb) AS r("
        ), "{sql}");
        assert!(sql.contains("AS r(\"id\" bigint, \"v\" \"q\".vector(2), \"title\" varchar(5),"));
        assert!(sql.contains("\"sp\" \"q\".sparsevec, \"$meta\" pg_catalog.jsonb, \"$partition\" pg_catalog.text)"));
        assert!(sql.ends_with(" RETURNING pg_catalog.to_jsonb(t.\"id\")"));
    }

    #[test]
    fn dynamic_fields_and_partitions() {
        let mut r = row();
        r["color"] = json!("red");
        let p = prepare(&def(true), &r, Mode::Insert, Some("p1")).unwrap();
        assert_eq!(p.rows[0]["$meta"], json!({"color": "red"}));
        assert_eq!(p.rows[0]["$partition"], json!("p1"));
        let e = prepare(&def(false), &r, Mode::Insert, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UndefinedColumn);
        assert!(e.message.starts_with("row 0: field \"color\" is not in the schema"));
    }

    #[test]
    fn errors_name_row_and_field() {
        let d = def(false);
        let cases: Vec<(Value, ErrorKind, &str)> = vec![
            (json!({"v": [1, 2], "title": "a", "bits": "00000000", "sp": {}}), ErrorKind::NotNullViolation, "row 1: missing value for field \"id\""),
            (json!({"id": "x", "v": [1, 2], "title": "a", "bits": "00000000", "sp": {}}), ErrorKind::DatatypeMismatch, "row 1: field \"id\": expected an integer (int64), got a string"),
            (json!({"id": 2, "v": [1, 2, 3], "title": "a", "bits": "00000000", "sp": {}}), ErrorKind::DataException, "row 1: field \"v\": expected 2 dimensions, got 3"),
            (json!({"id": 2, "v": [1, 2], "title": "toolong", "bits": "00000000", "sp": {}}), ErrorKind::StringDataRightTruncation, "row 1: field \"title\": 7 characters exceed max_length 5"),
            (json!({"id": 7, "v": [1, 2], "title": "a", "bits": "00000000", "sp": {}}), ErrorKind::UniqueViolation, "row 1: duplicate primary key 7 in this batch"),
            (json!({"id": 2, "v": [1, 2], "title": "a", "n": 300, "bits": "00000000", "sp": {}}), ErrorKind::NumericValueOutOfRange, "row 1: field \"n\": 300 is out of range for int8"),
            (json!({"id": 2, "v": [1, 2], "title": "a", "tags": ["a", "b", "c"], "bits": "00000000", "sp": {}}), ErrorKind::DataException, "max_capacity 2"),
            (json!({"id": 2, "v": [1, 2], "title": "a", "tags": ["abcd"], "bits": "00000000", "sp": {}}), ErrorKind::StringDataRightTruncation, "row 1: field \"tags\": element 0: 4 characters exceed max_length 3"),
            (json!({"id": 2, "v": [1, 2], "title": "a", "bits": "0101", "sp": {}}), ErrorKind::DataException, "expected 8 bits, got 4"),
            (json!({"id": 2, "v": [1, 2], "title": "a", "bits": [255], "sp": {"-1": 2}}), ErrorKind::DataException, "sparse index \"-1\""),
            (json!({"id": 2, "v": [1, "a"], "title": "a", "bits": "00000000", "sp": {}}), ErrorKind::DatatypeMismatch, "expected numbers in the vector"),
            (json!({"id": 2, "v": [1e39, 1], "title": "a", "bits": "00000000", "sp": {}}), ErrorKind::DataException, "out of range"),
            (json!([1]), ErrorKind::DatatypeMismatch, "row 1: is not a JSON object"),
        ];
        for (bad, kind, msg) in cases {
            let rows = match bad {
                Value::Array(a) => json!([row(), a[0]]),
                b => json!([row(), b]),
            };
            let e = prepare(&d, &rows, Mode::Insert, None).unwrap_err();
            assert_eq!(e.kind, kind, "{e}");
            assert!(e.message.contains(msg), "expected {msg:?}, got {:?}", e.message);
        }
        assert!(prepare(&d, &json!([]), Mode::Insert, None).unwrap_err().message.contains("no rows"));
        assert!(prepare(&d, &json!("x"), Mode::Insert, None).is_err());
    }

    #[test]
    fn auto_id() {
        let d = CollectionDef::from_args(&CreateArgs {
            name: "q".into(),
            db_schema: "public".into(),
            dimension: Some(2),
            metric: "cosine".into(),
            primary_key: "id".into(),
            id_type: "int64".into(),
            vector_field: "vector".into(),
            auto_id: true,
            num_partitions: 16,
            ..Default::default()
        })
        .unwrap();
        let p = prepare(&d, &json!([{"vector": [1, 2]}]), Mode::Insert, None).unwrap();
        assert!(p.pks.is_empty() && !p.columns.iter().any(|c| c.0 == "id"));
        let e = prepare(&d, &json!([{"id": 1, "vector": [1, 2]}]), Mode::Insert, None).unwrap_err();
        assert!(e.message.contains("generated (auto_id)"));
        let p = prepare(&d, &json!([{"id": 1, "vector": [1, 2]}]), Mode::Upsert, None).unwrap();
        assert_eq!(p.pks, vec![json!(1)]);
    }

    #[test]
    fn binary_forms() {
        let f = FieldDef { dim: Some(16), ..def(false).field("bits").unwrap().clone() };
        assert_eq!(bits_text(&f, &json!([1, 128])).unwrap(), "0000000110000000");
        let ones: Vec<u8> = vec![1; 16];
        assert_eq!(bits_text(&f, &json!(ones)).unwrap(), "1".repeat(16));
        assert!(bits_text(&f, &json!([256, 0])).is_err());
        assert_eq!(sparse_text(&json!({"indices": [5, 1], "values": [1.0, 0.25]})).unwrap(), format!("{{2:0.25,6:1}}/{SPARSE_DIM}"));
        assert!(sparse_text(&json!({"indices": [1, 1], "values": [1, 2]})).unwrap_err().message.contains("duplicate"));
    }
}
