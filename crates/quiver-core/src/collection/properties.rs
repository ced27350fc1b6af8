//! Collection properties, as Milvus has them (`alter_collection_properties`): key/value pairs
//! kept in the collection's definition, values as text. Two keys mean something here:
//! - `collection.ttl.seconds`: rows older than this (counted from their insert or upsert) are
//!   never returned by searches, queries, gets or counts, and `purge_expired` deletes them. The
//!   age comes from a column [`INSERTED_AT_COLUMN`] the table gets when a TTL is first set (rows
//!   already there count from that moment). 0 means no TTL, as in Milvus.
//! - `mmap.enabled`: accepted (a boolean) and kept; PostgreSQL's buffer manager decides what is
//!   in memory.
//!
//! Other keys are kept as they are, as Milvus keeps them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::dml::{col, ROW};
use super::ident::{pg, pg_op};
use super::schema::CollectionDef;
use crate::error::{Error, Result};

pub const TTL_KEY: &str = "collection.ttl.seconds";
pub const MMAP_KEY: &str = "mmap.enabled";
/// The column holding when a row was inserted (added when a TTL is first set).
pub const INSERTED_AT_COLUMN: &str = "$inserted_at";
/// Longest TTL: 100 years.
pub const MAX_TTL_SECONDS: i64 = 100 * 365 * 86_400;
const MAX_PROPERTIES: usize = 64;
const MAX_KEY_LEN: usize = 256;
const MAX_VALUE_LEN: usize = 4096;

/// The property's value as text: strings as they are, numbers and booleans written out.
fn value_text(key: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(Error::param(format!("property \"{key}\" must be a string, a number or a boolean"))),
    }
}

/// Checks a known key's value and returns it in its canonical form.
fn canonical(key: &str, text: &str) -> Result<String> {
    match key {
        TTL_KEY => {
            let n: i64 = text
                .trim()
                .parse()
                .map_err(|_| Error::param(format!("property \"{TTL_KEY}\" must be a whole number of seconds, got \"{text}\"")))?;
            if !(0..=MAX_TTL_SECONDS).contains(&n) {
                return Err(Error::param(format!("property \"{TTL_KEY}\" must be between 0 and {MAX_TTL_SECONDS} seconds")));
            }
            Ok(n.to_string())
        }
        MMAP_KEY => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(Error::param(format!("property \"{MMAP_KEY}\" must be true or false, got \"{text}\""))),
        },
        _ => Ok(text.to_string()),
    }
}

/// `current` with `changes` (a JSON object) set; checks keys, values and limits.
pub fn with_changes(current: &BTreeMap<String, String>, changes: &Value) -> Result<BTreeMap<String, String>> {
    let obj: &Map<String, Value> = changes.as_object().ok_or_else(|| Error::param("properties must be a JSON object"))?;
    let mut out = current.clone();
    for (k, v) in obj {
        if k.trim().is_empty() || k.len() > MAX_KEY_LEN {
            return Err(Error::param(format!("a property key must have 1 to {MAX_KEY_LEN} bytes")));
        }
        let text = value_text(k, v)?;
        if text.len() > MAX_VALUE_LEN {
            return Err(Error::param(format!("property \"{k}\" is longer than {MAX_VALUE_LEN} bytes")));
        }
        out.insert(k.clone(), canonical(k, &text)?);
    }
    if out.len() > MAX_PROPERTIES {
        return Err(Error::param(format!("a collection has at most {MAX_PROPERTIES} properties")));
    }
    Ok(out)
}

/// `current` without `keys` (keys it does not have are ignored, as in Milvus).
pub fn without(current: &BTreeMap<String, String>, keys: &[String]) -> BTreeMap<String, String> {
    current.iter().filter(|(k, _)| !keys.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The TTL in seconds, if one is set (and not 0).
pub fn ttl_seconds(def: &CollectionDef) -> Option<i64> {
    def.properties.get(TTL_KEY).and_then(|v| v.parse::<i64>().ok()).filter(|n| *n > 0)
}

/// The condition rows that have not expired satisfy (on row alias `t`), if the collection has
/// a TTL. The TTL is a checked integer, written as a literal.
pub fn live_condition(def: &CollectionDef) -> Option<String> {
    ttl_seconds(def).map(|secs| format!("{} {} {}", col(INSERTED_AT_COLUMN), pg_op(">"), cutoff(secs)))
}

fn cutoff(secs: i64) -> String {
    format!("({}() {} {}(secs => {secs}))", pg("now"), pg_op("-"), pg("make_interval"))
}

/// Deletes the expired rows of a collection with a TTL.
pub fn purge_sql(def: &CollectionDef) -> Option<String> {
    ttl_seconds(def).map(|secs| {
        format!("DELETE FROM {} AS {ROW} WHERE {} {} {}", super::dml::table(def), col(INSERTED_AT_COLUMN), pg_op("<="), cutoff(secs))
    })
}

/// The insert-time column's definition (in CREATE TABLE when a collection starts with a TTL).
pub fn inserted_at_column() -> String {
    format!("{} {} NOT NULL DEFAULT {}()", super::ident::quote_ident(INSERTED_AT_COLUMN), pg("timestamptz"), pg("now"))
}

/// Adds the insert-time column (idempotent); rows already there count from now.
pub fn add_inserted_at_sql(def: &CollectionDef) -> String {
    format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}", super::dml::table(def), inserted_at_column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ttl_values_are_checked_and_canonical() {
        let p = with_changes(&BTreeMap::new(), &json!({TTL_KEY: "3600"})).unwrap();
        assert_eq!(p[TTL_KEY], "3600");
        let p = with_changes(&p, &json!({TTL_KEY: 60, "custom.key": "x", MMAP_KEY: "TRUE"})).unwrap();
        assert_eq!((p[TTL_KEY].as_str(), p["custom.key"].as_str(), p[MMAP_KEY].as_str()), ("60", "x", "true"));
        for bad in [json!({TTL_KEY: -1}), json!({TTL_KEY: "1h"}), json!({TTL_KEY: 1.5}), json!({TTL_KEY: MAX_TTL_SECONDS + 1}),
                    json!({MMAP_KEY: "yes"}), json!({"k": null}), json!({"k": [1]}), json!({"": "x"}), json!([1])] {
            assert!(with_changes(&BTreeMap::new(), &bad).is_err(), "{bad}");
        }
        let many: Map<String, Value> = (0..65).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(with_changes(&BTreeMap::new(), &Value::Object(many)).is_err());
        assert_eq!(without(&p, &["custom.key".into(), "nope".into()]).len(), 2);
    }

    #[test]
    fn ttl_zero_is_no_ttl() {
        let mut def = crate::collection::CollectionDef::from_args(&crate::collection::CreateArgs {
            name: "c".into(),
            db_schema: "s".into(),
            dimension: Some(2),
            metric: "l2".into(),
            primary_key: "id".into(),
            id_type: "int64".into(),
            vector_field: "v".into(),
            num_partitions: 1,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(live_condition(&def), None);
        def.properties = with_changes(&def.properties, &json!({TTL_KEY: 0})).unwrap();
        assert_eq!(ttl_seconds(&def), None);
        def.properties = with_changes(&def.properties, &json!({TTL_KEY: 90})).unwrap();
        assert_eq!(
            live_condition(&def).unwrap(),
            "t.\"$inserted_at\" OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => 90))"
        );
        assert!(purge_sql(&def).unwrap().starts_with("DELETE FROM \"s\".\"c\" AS t WHERE t.\"$inserted_at\" OPERATOR(pg_catalog.<=)"));
        // reads leave expired rows out, deletes reach them
        let read = crate::collection::dml::where_clause(&def, None, None, Some("id > 1"), 1, true).unwrap();
        let all = crate::collection::dml::where_clause(&def, None, None, Some("id > 1"), 1, false).unwrap();
        assert!(read.sql.starts_with(&all.sql) && read.sql.ends_with(&format!(" AND {}", live_condition(&def).unwrap())), "{}", read.sql);
        assert!(!all.sql.contains("$inserted_at"));
        let bare = crate::collection::dml::where_clause(&def, None, None, None, 1, true).unwrap();
        assert_eq!(bare.sql, format!(" WHERE {}", live_condition(&def).unwrap()));
        assert_eq!(add_inserted_at_sql(&def), "ALTER TABLE \"s\".\"c\" ADD COLUMN IF NOT EXISTS \"$inserted_at\" pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()");
    }
}
