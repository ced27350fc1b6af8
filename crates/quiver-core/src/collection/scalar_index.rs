//! Scalar indexes on a collection's fields, and the attribute columns of its vector indexes.
//!
//! Milvus users declare the fields they filter on with a scalar index
//! (`create_index(field_name => 'category', index_type => 'INVERTED')`). In quiver that is a
//! btree index on the column (the planner's exact path for selective filters: bitmap scan and
//! an exact sort), and the field also becomes an attribute column of the collection's hnsw
//! indexes (`USING hnsw (emb ..., category)`), so that filters on it are applied inside the
//! vector index's walk. The partition key is always an attribute column.

use super::ident::{qualified, quote_ident, quote_literal};
use super::schema::{CollectionDef, FieldDef};
use super::types::DataType;
use crate::error::{Error, ErrorKind, Result};

/// Index types Milvus accepts on scalar fields; all are a btree here.
const SCALAR_TYPES: [&str; 6] = ["INVERTED", "STL_SORT", "BITMAP", "TRIE", "AUTOINDEX", "BTREE"];

/// Bytes the hnsw attribute blob of a row may take (the index refuses larger rows); the
/// columns chosen must fit in their worst case, with room to spare.
const ATTR_BUDGET: usize = 1_900;

/// A parsed scalar `create_index` request.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarIndex {
    pub field: String,
    pub index_name: String,
    /// As the user named it (upper case), kept as the index's comment for describe_index.
    pub index_type: String,
}

/// Validates a scalar index request on field `f`.
pub fn request(def: &CollectionDef, f: &FieldDef, index_type: &str, params: &serde_json::Value, index_name: Option<&str>) -> Result<ScalarIndex> {
    let t = index_type.trim().to_ascii_uppercase();
    if !SCALAR_TYPES.contains(&t.as_str()) {
        return Err(Error::param(format!(
            "index type \"{index_type}\" does not apply to the {} field \"{}\" (scalar fields take INVERTED, STL_SORT, BITMAP, TRIE or AUTOINDEX)",
            f.data_type.name(),
            f.name
        )));
    }
    if matches!(f.data_type, DataType::Json | DataType::Array) {
        return Err(Error::new(
            ErrorKind::FeatureNotSupported,
            format!("scalar indexes on {} fields are not supported yet (field \"{}\")", f.data_type.name(), f.name),
        ));
    }
    if params.as_object().is_some_and(|o| !o.is_empty()) {
        return Err(Error::param(format!("index type {t} takes no params")));
    } else if !params.is_null() && !params.is_object() {
        return Err(Error::param("index params must be a JSON object"));
    }
    let index_name = index_name.unwrap_or(&f.name).to_string();
    super::ident::validate_name("index", &index_name)?;
    super::ddl::index_relname(&def.name, &index_name)?;
    Ok(ScalarIndex { field: f.name.clone(), index_name, index_type: t })
}

/// `CREATE INDEX` (a btree) and the comment that records the requested type.
pub fn create(def: &CollectionDef, s: &ScalarIndex) -> Result<Vec<String>> {
    let rel = super::ddl::index_relname(&def.name, &s.index_name)?;
    Ok(vec![
        format!("CREATE INDEX {} ON {} USING btree ({})", quote_ident(&rel), qualified(&def.schema, &def.name), quote_ident(&s.field)),
        format!("COMMENT ON INDEX {} IS {}", qualified(&def.schema, &rel), quote_literal(&s.index_type)),
    ])
}

/// Worst-case bytes of one field in the attribute blob, if the vector index can hold it
/// (bool, integers, varchar with a max_length, and arrays of int64 / varchar with a capacity).
fn attr_bytes(f: &FieldDef) -> Option<usize> {
    let text = |n: Option<u32>| n.map(|n| 4 + 4 * n as usize);
    match f.data_type {
        DataType::Bool => Some(1),
        t if t.is_integer() => Some(9),
        DataType::Varchar => text(f.max_length).map(|b| b + 1),
        DataType::Array => {
            let each = match f.element_type? {
                DataType::Int64 => 8,
                DataType::Varchar => text(f.max_length)?,
                _ => return None,
            };
            Some(6 + each * f.max_capacity? as usize)
        }
        _ => None,
    }
}

/// The attribute columns of the collection's hnsw indexes: the partition key, then the fields
/// with a scalar index (`indexed`, in order), those of a type the index can hold, as long as
/// their largest values fit together.
pub fn attribute_fields(def: &CollectionDef, indexed: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut used = 0;
    let names = def.partition_key.iter().chain(indexed.iter());
    for name in names {
        let Some(f) = def.field(name) else { continue };
        if out.contains(&f.name) || f.is_primary {
            continue;
        }
        if let Some(b) = attr_bytes(f).filter(|b| used + b <= ATTR_BUDGET) {
            used += b;
            out.push(f.name.clone());
        }
    }
    out
}

/// The column list of a vector index: the vector with its operator class, then `attrs`.
pub fn index_columns(vector: &str, opclass: &str, attrs: &[String]) -> String {
    std::iter::once(format!("{} {opclass}", quote_ident(vector)))
        .chain(attrs.iter().map(|a| quote_ident(a)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An existing vector index, as the catalog describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorIndex {
    /// Its relation name (`c$name`).
    pub relname: String,
    pub method: String,
    pub vector: String,
    /// The operator class's schema and name.
    pub opclass_schema: String,
    pub opclass: String,
    /// Its attribute columns.
    pub attrs: Vec<String>,
    /// reloptions (`name=value`).
    pub options: Vec<String>,
}

/// Statements that rebuild `ix` with `attrs` as its attribute columns: a new index under a
/// temporary name, then the old one dropped and the new one renamed (in one transaction,
/// readers keep using the old one until it commits).
pub fn rebuild(def: &CollectionDef, ix: &VectorIndex, attrs: &[String]) -> Result<Vec<String>> {
    if !takes_attributes(&ix.method) || ix.attrs == attrs {
        return Ok(Vec::new());
    }
    let tmp = format!("{}_rebuild", ix.relname.chars().take(50).collect::<String>());
    let with = if ix.options.is_empty() {
        String::new()
    } else {
        let opts: Vec<String> = ix
            .options
            .iter()
            .map(|o| {
                let (k, v) = o.split_once('=').unwrap_or((o.as_str(), ""));
                format!("{} = {}", quote_ident(k), quote_literal(v))
            })
            .collect();
        format!(" WITH ({})", opts.join(", "))
    };
    let opclass = format!("{}.{}", quote_ident(&ix.opclass_schema), quote_ident(&ix.opclass));
    Ok(vec![
        format!(
            "CREATE INDEX {} ON {} USING {} ({}){with}",
            quote_ident(&tmp),
            qualified(&def.schema, &def.name),
            if ix.method == "ivfflat" { "ivfflat" } else { "hnsw" },
            index_columns(&ix.vector, &opclass, attrs)
        ),
        format!("DROP INDEX {}", qualified(&def.schema, &ix.relname)),
        format!("ALTER INDEX {} RENAME TO {}", qualified(&def.schema, &tmp), quote_ident(&ix.relname)),
    ])
}

/// Whether indexes of access method `method` hold attribute columns.
fn takes_attributes(method: &str) -> bool {
    matches!(method, "hnsw" | "ivfflat")
}

/// Used by [`super::ddl::create_index`]: a vector index with its attribute columns.
pub(super) fn vector_index_sql(def: &CollectionDef, relname: &str, method: &str, vector: &str, opclass: &str, attrs: &[String], with: &str) -> String {
    let attrs: &[String] = if takes_attributes(method) { attrs } else { &[] };
    format!(
        "CREATE INDEX {} ON {} USING {method} ({}){with}",
        quote_ident(relname),
        qualified(&def.schema, &def.name),
        index_columns(vector, opclass, attrs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::schema::CreateArgs;
    use serde_json::json;

    fn def() -> CollectionDef {
        CollectionDef::from_args(&CreateArgs {
            name: "docs".into(),
            db_schema: "public".into(),
            metric: "l2".into(),
            schema: Some(json!({"fields": [
                {"name": "id", "type": "INT64", "is_primary": true},
                {"name": "tenant", "type": "VARCHAR", "max_length": 16},
                {"name": "year", "type": "INT32"},
                {"name": "ok", "type": "BOOL"},
                {"name": "score", "type": "FLOAT"},
                {"name": "body", "type": "VARCHAR", "max_length": 4000},
                {"name": "tags", "type": "ARRAY", "element_type": "VARCHAR", "max_length": 8, "max_capacity": 4},
                {"name": "meta", "type": "JSON"},
                {"name": "emb", "type": "FLOAT_VECTOR", "dim": 3}]})),
            partition_key: Some("tenant".into()),
            num_partitions: 4,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn attribute_fields_follow_types_and_budget() {
        let d = def();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(attribute_fields(&d, &[]), s(&["tenant"]));
        assert_eq!(
            attribute_fields(&d, &s(&["year", "score", "ok", "body", "tags", "meta", "tenant", "id", "nope"])),
            s(&["tenant", "year", "ok", "tags"])
        );
    }

    #[test]
    fn scalar_requests() {
        let d = def();
        let f = d.field("year").unwrap();
        let r = request(&d, f, "inverted", &serde_json::Value::Null, None).unwrap();
        assert_eq!(r.index_type, "INVERTED");
        assert_eq!(
            create(&d, &r).unwrap(),
            vec![
                "CREATE INDEX \"docs$year\" ON \"public\".\"docs\" USING btree (\"year\")".to_string(),
                "COMMENT ON INDEX \"public\".\"docs$year\" IS 'INVERTED'".to_string()
            ]
        );
        assert!(request(&d, f, "HNSW", &serde_json::Value::Null, None).unwrap_err().message.contains("does not apply"));
        assert!(request(&d, f, "STL_SORT", &json!({"x": 1}), None).unwrap_err().message.contains("takes no params"));
        let e = request(&d, d.field("meta").unwrap(), "INVERTED", &serde_json::Value::Null, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::FeatureNotSupported);
    }

    #[test]
    fn rebuild_statements() {
        let d = def();
        let ix = VectorIndex {
            relname: "docs$emb".into(),
            method: "hnsw".into(),
            vector: "emb".into(),
            opclass_schema: "q".into(),
            opclass: "vector_l2_ops".into(),
            attrs: vec!["tenant".into()],
            options: vec!["m=8".into()],
        };
        assert!(rebuild(&d, &ix, &["tenant".to_string()]).unwrap().is_empty());
        assert_eq!(
            rebuild(&d, &ix, &["tenant".to_string(), "year".to_string()]).unwrap(),
            vec![
                "CREATE INDEX \"docs$emb_rebuild\" ON \"public\".\"docs\" USING hnsw (\"emb\" \"q\".\"vector_l2_ops\", \"tenant\", \"year\") WITH (\"m\" = '8')".to_string(),
                "DROP INDEX \"public\".\"docs$emb\"".to_string(),
                "ALTER INDEX \"public\".\"docs$emb_rebuild\" RENAME TO \"docs$emb\"".to_string(),
            ]
        );
        let ivf = VectorIndex { method: "ivfflat".into(), ..ix };
        assert!(rebuild(&d, &ivf, &["year".to_string()]).unwrap()[0].contains("USING ivfflat (\"emb\" \"q\".\"vector_l2_ops\", \"year\")"));
        let other = VectorIndex { method: "diskann".into(), ..ivf };
        assert!(rebuild(&d, &other, &["year".to_string()]).unwrap().is_empty());
    }
}
