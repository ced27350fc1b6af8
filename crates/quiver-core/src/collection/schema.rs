//! A collection's schema: parsed from `create_collection`'s arguments (quick form or a
//! Milvus-style `schema` document), validated, and stored normalised in the catalog.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ident::validate_name;
use super::types::DataType;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::VECTOR_MAX_DIM as MAX_DIM;

/// Column holding the dynamic field (keys not in the schema), as in Milvus.
pub const DYNAMIC_COLUMN: &str = "$meta";
/// Column routing rows to manual partitions (collections without a partition key).
pub const PARTITION_COLUMN: &str = "$partition";
/// The partition every collection without a partition key starts with.
pub const DEFAULT_PARTITION: &str = "_default";

const MAX_VARCHAR: u32 = 65_535;
const MAX_CAPACITY: u32 = 4_096;
const MAX_PARTITIONS: u32 = 1_024;
const MAX_FIELDS: usize = 64;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dim: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub element_type: Option<DataType>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_capacity: Option<u32>,
    #[serde(default)]
    pub nullable: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default_value: Option<Value>,
    #[serde(default)]
    pub is_primary: bool,
    #[serde(default)]
    pub auto_id: bool,
    #[serde(default)]
    pub is_partition_key: bool,
    #[serde(default)]
    pub description: String,
}

/// Distances a collection's vector fields are indexed and searched with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    L2,
    Ip,
    Cosine,
    Hamming,
    Jaccard,
}

impl MetricKind {
    pub fn parse(s: &str) -> Result<MetricKind> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "l2" => MetricKind::L2,
            "ip" => MetricKind::Ip,
            "cosine" => MetricKind::Cosine,
            "hamming" => MetricKind::Hamming,
            "jaccard" => MetricKind::Jaccard,
            _ => return Err(Error::param(format!("unknown metric \"{s}\" (expected l2, ip, cosine, hamming or jaccard)"))),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            MetricKind::L2 => "l2",
            MetricKind::Ip => "ip",
            MetricKind::Cosine => "cosine",
            MetricKind::Hamming => "hamming",
            MetricKind::Jaccard => "jaccard",
        }
    }

    /// The metric used for `t` when the collection's metric does not apply to it
    /// (binary vectors only support hamming/jaccard, the others only l2/ip/cosine).
    pub fn for_type(self, t: DataType) -> MetricKind {
        match (t, self) {
            (DataType::BinaryVector, MetricKind::Hamming | MetricKind::Jaccard) => self,
            (DataType::BinaryVector, _) => MetricKind::Hamming,
            (DataType::SparseFloatVector, MetricKind::Hamming | MetricKind::Jaccard) => MetricKind::Ip,
            (_, MetricKind::Hamming | MetricKind::Jaccard) => MetricKind::L2,
            _ => self,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionDef {
    pub name: String,
    /// PostgreSQL schema of the collection's table.
    pub schema: String,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<FieldDef>,
    pub enable_dynamic_field: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition_key: Option<String>,
    /// Hash partitions when there is a partition key.
    #[serde(default)]
    pub num_partitions: u32,
    pub metric: MetricKind,
    /// Milvus's collection properties (`collection.ttl.seconds`, ...), values as text
    /// (see [`super::properties`]).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub properties: std::collections::BTreeMap<String, String>,
}

/// The arguments of `create_collection`.
#[derive(Clone, Debug, Default)]
pub struct CreateArgs {
    pub name: String,
    pub db_schema: String,
    pub dimension: Option<i32>,
    pub metric: String,
    pub schema: Option<Value>,
    pub primary_key: String,
    pub id_type: String,
    pub vector_field: String,
    pub auto_id: bool,
    pub partition_key: Option<String>,
    pub num_partitions: i32,
    pub description: Option<String>,
}

impl CollectionDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn primary(&self) -> &FieldDef {
        // validate() guarantees exactly one primary key; fall back to the first field.
        self.fields.iter().find(|f| f.is_primary).unwrap_or(&self.fields[0])
    }

    pub fn vector_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.data_type.is_vector())
    }

    /// Builds and validates a definition from `create_collection`'s arguments.
    pub fn from_args(a: &CreateArgs) -> Result<CollectionDef> {
        validate_name("collection", &a.name)?;
        let metric = MetricKind::parse(&a.metric)?;
        let (mut fields, dynamic, schema_description) = match &a.schema {
            None => (quick_fields(a)?, true, String::new()),
            Some(doc) => parse_schema_doc(doc, a)?,
        };
        if let Some(pk) = &a.partition_key {
            let f = fields
                .iter_mut()
                .find(|f| &f.name == pk)
                .ok_or_else(|| Error::new(ErrorKind::UndefinedObject, format!("partition key field \"{pk}\" is not in the schema")))?;
            f.is_partition_key = true;
        }
        let partition_key = fields.iter().find(|f| f.is_partition_key).map(|f| f.name.clone());
        let num_partitions = if partition_key.is_some() {
            u32::try_from(a.num_partitions)
                .ok()
                .filter(|n| (1..=MAX_PARTITIONS).contains(n))
                .ok_or_else(|| Error::param(format!("num_partitions must be between 1 and {MAX_PARTITIONS}")))?
        } else {
            0
        };
        let def = CollectionDef {
            name: a.name.clone(),
            schema: a.db_schema.clone(),
            description: a.description.clone().unwrap_or(schema_description),
            fields,
            enable_dynamic_field: dynamic,
            partition_key,
            num_partitions,
            metric,
            properties: Default::default(),
        };
        def.validate()?;
        Ok(def)
    }

    /// Checks every rule a definition must satisfy (also run on definitions read back).
    pub fn validate(&self) -> Result<()> {
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(Error::param(format!("a collection needs 1 to {MAX_FIELDS} fields")));
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.fields {
            validate_name("field", &f.name)?;
            if !seen.insert(f.name.as_str()) {
                return Err(Error::new(ErrorKind::DuplicateObject, format!("field \"{}\" is defined twice", f.name)));
            }
            validate_field(f)?;
        }
        let pks: Vec<&FieldDef> = self.fields.iter().filter(|f| f.is_primary).collect();
        match pks.as_slice() {
            [_] => {}
            [] => return Err(Error::param("the schema has no primary key field (set \"is_primary\": true on one field)")),
            _ => return Err(Error::param("the schema has more than one primary key field")),
        }
        if self.vector_fields().next().is_none() {
            return Err(Error::param("a collection needs at least one vector field"));
        }
        let keys = self.fields.iter().filter(|f| f.is_partition_key).count();
        if keys > 1 {
            return Err(Error::param("only one field can be the partition key"));
        }
        Ok(())
    }
}

fn quick_fields(a: &CreateArgs) -> Result<Vec<FieldDef>> {
    let dim = a
        .dimension
        .ok_or_else(|| Error::param("create_collection needs either dimension (quick form) or schema"))?;
    let id_type = DataType::parse(&a.id_type)?;
    let pk = FieldDef {
        name: a.primary_key.clone(),
        data_type: id_type,
        max_length: (id_type == DataType::Varchar).then_some(MAX_VARCHAR),
        is_primary: true,
        auto_id: a.auto_id && id_type == DataType::Int64,
        ..field(&a.primary_key, id_type)
    };
    let vector = FieldDef { dim: Some(dim_u32(dim.into())?), ..field(&a.vector_field, DataType::FloatVector) };
    Ok(vec![pk, vector])
}

fn dim_u32(d: i64) -> Result<u32> {
    u32::try_from(d).map_err(|_| Error::param(format!("dimension {d} must be positive")))
}

fn field(name: &str, t: DataType) -> FieldDef {
    FieldDef {
        name: name.to_string(),
        data_type: t,
        dim: None,
        max_length: None,
        element_type: None,
        max_capacity: None,
        nullable: false,
        default_value: None,
        is_primary: false,
        auto_id: false,
        is_partition_key: false,
        description: String::new(),
    }
}

/// `{"fields": [...], "enable_dynamic_field": bool, "auto_id": bool, "description": "..."}`.
fn parse_schema_doc(doc: &Value, a: &CreateArgs) -> Result<(Vec<FieldDef>, bool, String)> {
    let obj = doc.as_object().ok_or_else(|| Error::param("schema must be a JSON object with a \"fields\" array"))?;
    check_keys(obj, &["fields", "enable_dynamic_field", "auto_id", "description"], "schema")?;
    let list = obj
        .get("fields")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::param("schema must have a \"fields\" array"))?;
    let schema_auto = obj.get("auto_id").map(|v| as_bool(v, "schema.auto_id")).transpose()?;
    let mut fields = list.iter().enumerate().map(|(i, f)| parse_field(i, f)).collect::<Result<Vec<_>>>()?;
    if !fields.iter().any(|f| f.is_primary) {
        if let Some(f) = fields.iter_mut().find(|f| f.name == a.primary_key) {
            f.is_primary = true;
        }
    }
    for f in fields.iter_mut().filter(|f| f.is_primary) {
        if let Some(auto) = schema_auto {
            f.auto_id = auto;
        }
    }
    let dynamic = obj.get("enable_dynamic_field").map(|v| as_bool(v, "enable_dynamic_field")).transpose()?.unwrap_or(false);
    let description = obj.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
    Ok((fields, dynamic, description))
}

fn check_keys(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Error::param(format!("unknown key \"{k}\" in {what} (allowed: {})", allowed.join(", ")))),
        None => Ok(()),
    }
}

fn as_bool(v: &Value, what: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| Error::param(format!("{what} must be true or false")))
}

fn as_u32(v: &Value, what: &str) -> Result<u32> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Error::param(format!("{what} must be a positive integer")))
}

const FIELD_KEYS: [&str; 14] = [
    "name", "type", "data_type", "dtype", "dim", "max_length", "element_type", "max_capacity",
    "nullable", "default_value", "is_primary", "auto_id", "is_partition_key", "description",
];

fn parse_field(i: usize, v: &Value) -> Result<FieldDef> {
    let what = format!("field {}", i + 1);
    let o = v.as_object().ok_or_else(|| Error::param(format!("{what} must be a JSON object")))?;
    check_keys(o, &FIELD_KEYS, &what)?;
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::param(format!("{what} has no \"name\"")))?;
    let what = format!("field \"{name}\"");
    let t = ["type", "data_type", "dtype"]
        .iter()
        .find_map(|k| o.get(*k))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::param(format!("{what} has no \"type\"")))?;
    let num = |k: &str| o.get(k).map(|v| as_u32(v, &format!("{what}: {k}"))).transpose();
    let flag = |k: &str| o.get(k).map(|v| as_bool(v, &format!("{what}: {k}"))).transpose().map(|b| b.unwrap_or(false));
    Ok(FieldDef {
        name: name.to_string(),
        data_type: DataType::parse(t)?,
        dim: num("dim")?,
        max_length: num("max_length")?,
        element_type: o.get("element_type").and_then(Value::as_str).map(DataType::parse).transpose()?,
        max_capacity: num("max_capacity")?,
        nullable: flag("nullable")?,
        default_value: o.get("default_value").filter(|v| !v.is_null()).cloned(),
        is_primary: flag("is_primary")?,
        auto_id: flag("auto_id")?,
        is_partition_key: flag("is_partition_key")?,
        description: o.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
    })
}

fn validate_field(f: &FieldDef) -> Result<()> {
    let what = format!("field \"{}\"", f.name);
    let t = f.data_type;
    let err = |m: String| Err(Error::param(format!("{what}: {m}")));
    if f.name == DYNAMIC_COLUMN || f.name == PARTITION_COLUMN {
        return err("the name is reserved".into());
    }
    if f.is_primary && !matches!(t, DataType::Int64 | DataType::Varchar) {
        return err(format!("a primary key must be int64 or varchar, not {}", t.name()));
    }
    if f.is_primary && f.nullable {
        return err("a primary key cannot be nullable".into());
    }
    if f.auto_id && !(f.is_primary && t == DataType::Int64) {
        return err("auto_id is only for an int64 primary key".into());
    }
    if f.is_partition_key && (f.is_primary || !matches!(t, DataType::Int64 | DataType::Varchar) || f.nullable) {
        return err("the partition key must be a non-nullable int64 or varchar field other than the primary key".into());
    }
    match t {
        DataType::FloatVector | DataType::Float16Vector | DataType::BinaryVector => {
            let d = f.dim.ok_or_else(|| Error::param(format!("{what}: a {} needs \"dim\"", t.name())))?;
            let max = if t == DataType::BinaryVector { 64_000 } else { MAX_DIM as u32 };
            if d == 0 || d > max {
                return err(format!("dim must be between 1 and {max}"));
            }
            if t == DataType::BinaryVector && d % 8 != 0 {
                return err("the dim of a binary_vector must be a multiple of 8".into());
            }
        }
        DataType::Varchar => check_length(f.max_length, &what)?,
        DataType::Array => {
            let e = f.element_type.ok_or_else(|| Error::param(format!("{what}: an array needs \"element_type\"")))?;
            if !e.is_scalar() {
                return err(format!("arrays of {} are not supported", e.name()));
            }
            if e == DataType::Varchar {
                check_length(f.max_length, &what)?;
            }
            match f.max_capacity {
                Some(c) if (1..=MAX_CAPACITY).contains(&c) => {}
                _ => return err(format!("an array needs \"max_capacity\" between 1 and {MAX_CAPACITY}")),
            }
        }
        _ => {}
    }
    if t.is_vector() && f.nullable {
        return err("vector fields cannot be nullable".into());
    }
    if f.default_value.is_some() && (f.is_primary || t.is_vector() || t == DataType::Json) {
        return err("a default value is only allowed on scalar fields".into());
    }
    Ok(())
}

fn check_length(n: Option<u32>, what: &str) -> Result<()> {
    match n {
        Some(n) if (1..=MAX_VARCHAR).contains(&n) => Ok(()),
        _ => Err(Error::param(format!("{what}: a varchar needs \"max_length\" between 1 and {MAX_VARCHAR}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn args(name: &str) -> CreateArgs {
        CreateArgs {
            name: name.into(),
            db_schema: "public".into(),
            dimension: Some(4),
            metric: "cosine".into(),
            schema: None,
            primary_key: "id".into(),
            id_type: "int64".into(),
            vector_field: "vector".into(),
            auto_id: true,
            partition_key: None,
            num_partitions: 16,
            description: None,
        }
    }

    #[test]
    fn quick_form() {
        let d = CollectionDef::from_args(&args("docs")).unwrap();
        assert_eq!(d.fields.len(), 2);
        assert!(d.primary().auto_id && d.primary().data_type == DataType::Int64);
        assert_eq!(d.field("vector").unwrap().dim, Some(4));
        assert!(d.enable_dynamic_field);
        let s = CreateArgs { id_type: "varchar".into(), ..args("docs") };
        let d = CollectionDef::from_args(&s).unwrap();
        assert!(!d.primary().auto_id && d.primary().max_length == Some(MAX_VARCHAR));
        // round trip through the catalog's JSON
        let back: CollectionDef = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    fn full(fields: Value) -> Result<CollectionDef> {
        CollectionDef::from_args(&CreateArgs { dimension: None, schema: Some(json!({"fields": fields})), ..args("c") })
    }

    #[test]
    fn full_form() {
        let d = full(json!([
            {"name": "pk", "type": "VARCHAR", "is_primary": true, "max_length": 32},
            {"name": "emb", "type": "FLOAT_VECTOR", "dim": 8},
            {"name": "bits", "type": "BINARY_VECTOR", "dim": 16},
            {"name": "sp", "type": "SPARSE_FLOAT_VECTOR"},
            {"name": "tags", "type": "ARRAY", "element_type": "VARCHAR", "max_capacity": 4, "max_length": 10},
            {"name": "year", "type": "INT16", "nullable": true, "default_value": 2020},
            {"name": "meta", "type": "JSON"}
        ]))
        .unwrap();
        assert_eq!(d.primary().name, "pk");
        assert_eq!(d.vector_fields().count(), 3);
        assert!(!d.enable_dynamic_field);
    }

    #[test]
    fn schema_errors() {
        let cases: &[(Value, &str)] = &[
            (json!([{"name": "v", "type": "FLOAT_VECTOR", "dim": 4}]), "no primary key"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}]), "at least one vector field"),
            (json!([{"name": "id", "type": "FLOAT", "is_primary": true}]), "must be int64 or varchar"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR"}]), "needs \"dim\""),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 16001}]), "dim must be between 1 and 16000"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "BINARY_VECTOR", "dim": 12}]), "multiple of 8"),
            (json!([{"name": "id", "type": "VARCHAR", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}]), "max_length"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "id", "type": "FLOAT_VECTOR", "dim": 2}]), "defined twice"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}, {"name": "a", "type": "ARRAY", "element_type": "JSON", "max_capacity": 2}]), "arrays of json"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}, {"name": "a", "type": "ARRAY", "element_type": "INT64"}]), "max_capacity"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2, "colour": 1}]), "unknown key \"colour\""),
            (json!([{"name": "bad-name", "type": "INT64", "is_primary": true}]), "invalid field name"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2, "nullable": true}]), "cannot be nullable"),
            (json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}, {"name": "$meta", "type": "JSON"}]), "invalid field name"),
        ];
        for (fields, msg) in cases {
            let e = full(fields.clone()).unwrap_err();
            assert!(e.message.contains(msg), "{fields}: got {e}");
        }
        assert!(CollectionDef::from_args(&CreateArgs { dimension: None, ..args("c") }).unwrap_err().message.contains("either dimension"));
        assert!(CollectionDef::from_args(&args("1bad")).is_err());
        assert!(CollectionDef::from_args(&CreateArgs { metric: "dot".into(), ..args("c") }).unwrap_err().message.contains("unknown metric"));
        assert!(CollectionDef::from_args(&CreateArgs { dimension: Some(-3), ..args("c") }).is_err());
    }

    #[test]
    fn partition_key() {
        let fields = json!([
            {"name": "id", "type": "INT64", "is_primary": true},
            {"name": "v", "type": "FLOAT_VECTOR", "dim": 2},
            {"name": "tenant", "type": "VARCHAR", "max_length": 20}
        ]);
        let a = CreateArgs { dimension: None, schema: Some(json!({"fields": fields})), partition_key: Some("tenant".into()), ..args("c") };
        let d = CollectionDef::from_args(&a).unwrap();
        assert_eq!((d.partition_key.as_deref(), d.num_partitions), (Some("tenant"), 16));
        let e = CollectionDef::from_args(&CreateArgs { partition_key: Some("nope".into()), ..a.clone() }).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UndefinedObject);
        let e = CollectionDef::from_args(&CreateArgs { num_partitions: 0, ..a.clone() }).unwrap_err();
        assert!(e.message.contains("num_partitions"));
        let e = CollectionDef::from_args(&CreateArgs { partition_key: Some("id".into()), ..a }).unwrap_err();
        assert!(e.message.contains("partition key must be"));
    }

    #[test]
    fn metric_for_type() {
        assert_eq!(MetricKind::Cosine.for_type(DataType::BinaryVector), MetricKind::Hamming);
        assert_eq!(MetricKind::Jaccard.for_type(DataType::FloatVector), MetricKind::L2);
        assert_eq!(MetricKind::Ip.for_type(DataType::SparseFloatVector), MetricKind::Ip);
    }
}
