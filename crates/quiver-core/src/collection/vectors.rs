//! The query vectors of a search, as the text of the field's type. `data` is one vector or
//! a JSON array of them (nq > 1). A vector is given the way rows give it (numbers for
//! dense fields, a Milvus `{"index": value}` object for sparse ones, a `"0101"` string or
//! bits / bytes for binary ones), or as the text form of a `vector` / `halfvec` /
//! `sparsevec` / `bit` value — what `to_jsonb()` makes of those types, e.g. `"[1,2,3]"`.

use serde_json::{Map, Value};

use super::rows::{bits_text, dense_text, sparse_text};
use super::schema::FieldDef;
use super::types::DataType;
use crate::error::{Error, Result};
use crate::text::{parse_sparsevec, parse_vector};

/// Most query vectors in one search.
pub const MAX_QUERIES: usize = 16_384;

/// One query vector for field `f`, as the text of the field's type.
pub fn query_vector(f: &FieldDef, v: &Value) -> Result<String> {
    match (f.data_type, v) {
        (DataType::SparseFloatVector, Value::String(s)) => {
            // sparsevec text is 1-based; Milvus objects are 0-based.
            let sv = parse_sparsevec(s)?;
            let o: Map<String, Value> = sv.indices.iter().zip(&sv.values).map(|(i, x)| (i.to_string(), Value::from(f64::from(*x)))).collect();
            sparse_text(&Value::Object(o))
        }
        (DataType::SparseFloatVector, _) => sparse_text(v),
        (DataType::BinaryVector, _) => bits_text(f, v),
        (t, Value::String(s)) => {
            let xs: Vec<Value> = parse_vector(s)?.into_iter().map(|x| Value::from(f64::from(x))).collect();
            dense_text(f, t, &Value::Array(xs))
        }
        (t, _) => dense_text(f, t, v),
    }
}

/// Whether `data` is a list of query vectors rather than one vector.
fn is_list(f: &FieldDef, data: &Value) -> bool {
    let Value::Array(a) = data else { return false };
    match f.data_type {
        DataType::SparseFloatVector => true,
        // one binary vector is a list of 0/1 or byte values
        DataType::BinaryVector => a.iter().all(|x| x.is_string() || x.is_array()),
        _ => a.first().is_some_and(|x| x.is_array() || x.is_string()),
    }
}

/// The query vectors in `data`: one vector, or an array of them.
pub fn query_vectors(f: &FieldDef, data: &Value) -> Result<Vec<String>> {
    let list: Vec<&Value> = if is_list(f, data) { data.as_array().map(|a| a.iter().collect()).unwrap_or_default() } else { vec![data] };
    if list.is_empty() {
        return Err(Error::param("data holds no query vectors"));
    }
    if list.len() > MAX_QUERIES {
        return Err(Error::param(format!("data holds {} query vectors; at most {MAX_QUERIES} are allowed", list.len())));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| query_vector(f, v).map_err(|e| Error::new(e.kind, format!("query vector {i}: {}", e.message))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::rows::SPARSE_DIM;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn field(t: DataType, dim: Option<u32>) -> FieldDef {
        serde_json::from_value(json!({"name": "v", "type": t, "dim": dim})).unwrap()
    }

    #[test]
    fn dense_forms() {
        let f = field(DataType::FloatVector, Some(3));
        assert_eq!(query_vectors(&f, &json!([1, 0, 0.5])).unwrap(), ["[1,0,0.5]"]);
        assert_eq!(query_vectors(&f, &json!("[1,0,0.5]")).unwrap(), ["[1,0,0.5]"]);
        assert_eq!(query_vectors(&f, &json!(["[1,2,3]", "[4,5,6]"])).unwrap(), ["[1,2,3]", "[4,5,6]"]);
        assert_eq!(query_vectors(&f, &json!([[1, 2, 3], [4, 5, 6]])).unwrap().len(), 2);
        let e = query_vectors(&f, &json!("[1,2]")).unwrap_err();
        assert!(e.message.contains("query vector 0: expected 3 dimensions, got 2"), "{e}");
        let e = query_vectors(&f, &json!("nope")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidTextRepresentation);
        let h = field(DataType::Float16Vector, Some(2));
        assert!(query_vector(&h, &json!("[1e5,1]")).unwrap_err().message.contains("out of range"));
        assert_eq!(query_vectors(&f, &json!([])).unwrap_err().kind, ErrorKind::DataException);
        let s = field(DataType::SparseFloatVector, None);
        assert!(query_vectors(&s, &json!([])).unwrap_err().message.contains("no query vectors"));
        let many = Value::Array(vec![json!([1, 2, 3]); MAX_QUERIES + 1]);
        assert!(query_vectors(&f, &many).unwrap_err().message.contains("at most 16384"));
    }

    #[test]
    fn sparse_and_binary_forms() {
        let s = field(DataType::SparseFloatVector, None);
        // sparsevec text (1-based) and a Milvus object (0-based) give the same vector
        assert_eq!(query_vector(&s, &json!("{1:0.5,3:2}/5")).unwrap(), format!("{{1:0.5,3:2}}/{SPARSE_DIM}"));
        assert_eq!(query_vector(&s, &json!({"0": 0.5, "2": 2})).unwrap(), format!("{{1:0.5,3:2}}/{SPARSE_DIM}"));
        assert_eq!(query_vectors(&s, &json!(["{1:1}/3", {"4": 1}])).unwrap().len(), 2);
        let b = field(DataType::BinaryVector, Some(8));
        assert_eq!(query_vectors(&b, &json!("10100000")).unwrap(), ["10100000"]);
        assert_eq!(query_vectors(&b, &json!(["10100000", "11111111"])).unwrap().len(), 2);
        assert_eq!(query_vectors(&b, &json!([1, 0, 1, 0, 0, 0, 0, 0])).unwrap(), ["10100000"]);
    }
}
