//! Milvus data types and how each maps to a PostgreSQL column type.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Varchar,
    Json,
    Array,
    FloatVector,
    Float16Vector,
    SparseFloatVector,
    BinaryVector,
}

impl DataType {
    /// Parses Milvus's names case-insensitively, with or without a `DataType.` prefix
    /// (`INT64`, `DataType.FLOAT_VECTOR`, `varchar`, also `string` for varchar).
    pub fn parse(s: &str) -> Result<DataType> {
        let t = s.trim();
        let t = t.strip_prefix("DataType.").unwrap_or(t).to_ascii_lowercase();
        Ok(match t.as_str() {
            "bool" | "boolean" => DataType::Bool,
            "int8" => DataType::Int8,
            "int16" => DataType::Int16,
            "int32" => DataType::Int32,
            "int64" => DataType::Int64,
            "float" => DataType::Float,
            "double" => DataType::Double,
            "varchar" | "string" => DataType::Varchar,
            "json" => DataType::Json,
            "array" => DataType::Array,
            "float_vector" => DataType::FloatVector,
            "float16_vector" => DataType::Float16Vector,
            "sparse_float_vector" => DataType::SparseFloatVector,
            "binary_vector" => DataType::BinaryVector,
            "bfloat16_vector" => {
                return Err(Error::new(
                    crate::error::ErrorKind::FeatureNotSupported,
                    "data type bfloat16_vector is not supported; use float16_vector",
                ))
            }
            _ => return Err(Error::param(format!("unknown data type \"{s}\""))),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::Int8 => "int8",
            DataType::Int16 => "int16",
            DataType::Int32 => "int32",
            DataType::Int64 => "int64",
            DataType::Float => "float",
            DataType::Double => "double",
            DataType::Varchar => "varchar",
            DataType::Json => "json",
            DataType::Array => "array",
            DataType::FloatVector => "float_vector",
            DataType::Float16Vector => "float16_vector",
            DataType::SparseFloatVector => "sparse_float_vector",
            DataType::BinaryVector => "binary_vector",
        }
    }

    pub fn is_vector(self) -> bool {
        matches!(
            self,
            DataType::FloatVector | DataType::Float16Vector | DataType::SparseFloatVector | DataType::BinaryVector
        )
    }

    pub fn is_integer(self) -> bool {
        matches!(self, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer() || matches!(self, DataType::Float | DataType::Double)
    }

    /// Whether an array may hold elements of this type.
    pub fn is_scalar(self) -> bool {
        !self.is_vector() && !matches!(self, DataType::Json | DataType::Array)
    }

    /// Inclusive range of an integer type (int8 is stored as smallint with a CHECK).
    pub fn int_range(self) -> Option<(i64, i64)> {
        match self {
            DataType::Int8 => Some((i8::MIN as i64, i8::MAX as i64)),
            DataType::Int16 => Some((i16::MIN as i64, i16::MAX as i64)),
            DataType::Int32 => Some((i32::MIN as i64, i32::MAX as i64)),
            DataType::Int64 => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }

    /// PostgreSQL type of a scalar column (or array element) of this type.
    pub fn pg_scalar(self, max_length: Option<u32>) -> String {
        match self {
            DataType::Bool => "boolean".into(),
            DataType::Int8 | DataType::Int16 => "smallint".into(),
            DataType::Int32 => "integer".into(),
            DataType::Int64 => "bigint".into(),
            DataType::Float => "real".into(),
            DataType::Double => "double precision".into(),
            DataType::Varchar => match max_length {
                Some(n) => format!("varchar({n})"),
                None => "pg_catalog.text".into(),
            },
            DataType::Json | DataType::Array => "pg_catalog.jsonb".into(),
            // Vector types are named by ddl::column_type through quiver's schema.
            DataType::FloatVector => "vector".into(),
            DataType::Float16Vector => "halfvec".into(),
            DataType::SparseFloatVector => "sparsevec".into(),
            DataType::BinaryVector => "bit".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_milvus_names() {
        assert_eq!(DataType::parse("INT64").unwrap(), DataType::Int64);
        assert_eq!(DataType::parse("DataType.FLOAT_VECTOR").unwrap(), DataType::FloatVector);
        assert_eq!(DataType::parse(" varchar ").unwrap(), DataType::Varchar);
        assert!(DataType::parse("int128").unwrap_err().message.contains("unknown data type \"int128\""));
        assert!(DataType::parse("BFLOAT16_VECTOR").unwrap_err().message.contains("not supported"));
        for t in [DataType::Bool, DataType::Int8, DataType::Json, DataType::BinaryVector] {
            assert_eq!(DataType::parse(t.name()).unwrap(), t);
        }
    }

    #[test]
    fn pg_types() {
        assert_eq!(DataType::Varchar.pg_scalar(Some(20)), "varchar(20)");
        assert_eq!(DataType::Int8.pg_scalar(None), "smallint");
        assert_eq!(DataType::Int8.int_range(), Some((-128, 127)));
    }
}
