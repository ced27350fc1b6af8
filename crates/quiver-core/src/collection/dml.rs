//! The statements of the data API over a collection's table: the duplicate-key check of
//! insert, the replace of upsert, delete, get, query, count, the entity fetch of hybrid
//! search and the upkeep of an `auto_id` identity.
//!
//! Name-capture rules (every statement here and in [`super::query`] / [`super::rows`]
//! follows them; `capture_tests` checks them over colliding field names):
//! * the collection's table is always read under the alias [`ROW`], and every column
//!   reference is qualified by it (`t."x"`), as are the columns of subqueries and of set
//!   returning functions (`r."x"`, each declared in a column list);
//! * built-in functions, types and operators are named through `pg_catalog`
//!   (`OPERATOR(pg_catalog.=)`), quiver's through its schema ([`super::ident::Ext`]);
//! * every value is a parameter (bound as text and cast where it is used).

use serde_json::Value;

use super::filtering::{self, text_array_literal};
use super::ident::{pg, pg_op, qualified, quote_ident};
use super::schema::{CollectionDef, PARTITION_COLUMN};
use super::types::DataType;
use crate::error::{Error, ErrorKind, Result};

/// The alias of the collection's table in every statement of the data API.
pub const ROW: &str = "t";

/// `"schema"."table"` of a collection.
pub fn table(def: &CollectionDef) -> String {
    qualified(&def.schema, &def.name)
}

/// Column `name` of the collection's table: `t."name"`.
pub fn col(name: &str) -> String {
    format!("{ROW}.{}", quote_ident(name))
}

/// The primary key column, `t."pk"`.
pub fn pk_col(def: &CollectionDef) -> String {
    col(&def.primary().name)
}

/// The primary key as jsonb (a JSON number or string).
pub fn pk_json(def: &CollectionDef) -> String {
    format!("{}({})", pg("to_jsonb"), pk_col(def))
}

/// The primary key as text.
pub fn pk_text(def: &CollectionDef) -> String {
    format!("{}::{}", pk_col(def), pg("text"))
}

fn int_pk(def: &CollectionDef) -> bool {
    def.primary().data_type == DataType::Int64
}

/// SQL type of a parameter holding a list of primary keys.
fn keys_type(def: &CollectionDef) -> String {
    if int_pk(def) {
        "bigint[]".into()
    } else {
        format!("{}[]", pg("text"))
    }
}

/// The parameter for a JSON array of primary keys (`[1, 2]` / `["a"]`): a PostgreSQL
/// array literal of the key type, after checking every key has that type.
pub fn keys_param(def: &CollectionDef, ids: &Value) -> Result<String> {
    let a = ids.as_array().ok_or_else(|| Error::param("ids must be a JSON array"))?;
    let int = int_pk(def);
    if let Some(bad) = a.iter().find(|v| if int { !v.is_i64() } else { !v.is_string() }) {
        return Err(Error::new(
            ErrorKind::DatatypeMismatch,
            format!("id {bad} is not a valid {} primary key", def.primary().data_type.name()),
        ));
    }
    Ok(if int {
        format!("{{{}}}", a.iter().filter_map(Value::as_i64).map(|i| i.to_string()).collect::<Vec<_>>().join(","))
    } else {
        text_array_literal(&a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>())
    })
}

/// `t."pk" = ANY($n)`, with `$n` a [`keys_param`].
pub fn pk_in(def: &CollectionDef, n: usize) -> String {
    format!("{} {} ANY(${n}::{})", pk_col(def), pg_op("="), keys_type(def))
}

/// A WHERE clause (with its leading space, empty when there is no condition) and its
/// parameters, the first of which is `$first`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Where {
    pub sql: String,
    pub params: Vec<String>,
    /// NOTICEs about the filter (see [`super::names`]).
    pub notices: Vec<String>,
}

/// The rows with primary key in `ids` (a JSON array), in the manual `partitions`, and
/// matching the Milvus `filter` expression; with `live_only` (reads), not past the
/// collection's TTL (deletes reach every row).
pub fn where_clause(
    def: &CollectionDef,
    ids: Option<&Value>,
    partitions: Option<&[String]>,
    filter: Option<&str>,
    first: usize,
    live_only: bool,
) -> Result<Where> {
    let mut conds = Vec::new();
    let mut params: Vec<String> = Vec::new();
    if let Some(ids) = ids {
        params.push(keys_param(def, ids)?);
        conds.push(pk_in(def, first + params.len() - 1));
    }
    if let Some(parts) = partitions.filter(|p| !p.is_empty()) {
        params.push(text_array_literal(parts));
        conds.push(format!(
            "{} {} ANY(${}::{}[])",
            col(PARTITION_COLUMN),
            pg_op("="),
            first + params.len() - 1,
            pg("text")
        ));
    }
    let mut notices = Vec::new();
    if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
        let c = filtering::compile_filter(def, f, first + params.len())?;
        params.extend(c.params);
        notices = c.notices;
        conds.push(format!("({})", c.sql));
    }
    if live_only {
        conds.extend(super::properties::live_condition(def));
    }
    let sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    Ok(Where { sql, params, notices })
}

/// One primary key (as text) among `$1` that is already in the table, if any.
pub fn existing_key_sql(def: &CollectionDef) -> String {
    format!("SELECT {} FROM {} AS {ROW} WHERE {} LIMIT 1", pk_text(def), table(def), pk_in(def, 1))
}

/// Deletes the rows whose primary key is in `$1` (upsert's replace, in every partition).
pub fn delete_keys_sql(def: &CollectionDef) -> String {
    format!("DELETE FROM {} AS {ROW} WHERE {}", table(def), pk_in(def, 1))
}

pub fn delete_sql(def: &CollectionDef, w: &Where) -> String {
    format!("DELETE FROM {} AS {ROW}{}", table(def), w.sql)
}

/// The entities (`entity`, see [`super::query::entity_sql`]) of the selected rows, by key.
pub fn get_sql(def: &CollectionDef, entity: &str, w: &Where) -> String {
    format!("SELECT {entity} FROM {} AS {ROW}{} ORDER BY {}", table(def), w.sql, pk_col(def))
}

/// [`get_sql`] with a limit (None: all rows) and an offset, both validated by the caller.
pub fn query_sql(def: &CollectionDef, entity: &str, w: &Where, limit: Option<i64>, offset: i64) -> String {
    let lim = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    format!("{}{lim} OFFSET {offset}", get_sql(def, entity, w))
}

/// The number of selected rows, as text.
pub fn count_sql(def: &CollectionDef, w: &Where) -> String {
    format!("SELECT {}(*)::{} FROM {} AS {ROW}{}", pg("count"), pg("text"), table(def), w.sql)
}

/// `[pk as text, entity]` of the rows whose key is in `$1` (hybrid search's results).
pub fn entities_by_key_sql(def: &CollectionDef, entity: &str) -> String {
    format!(
        "SELECT {}({}, {entity}) FROM {} AS {ROW} WHERE {}",
        pg("jsonb_build_array"),
        pk_text(def),
        table(def),
        pk_in(def, 1)
    )
}

/// Moves the identity sequence of the primary key (column `$2` of table `$1`, both text)
/// up to the largest key in the table when it is behind, so that generated keys continue
/// after keys given explicitly. Returns no row when nothing had to move.
pub fn identity_sync_sql(def: &CollectionDef) -> String {
    format!(
        "SELECT {setval}(s.seq, m.top) \
           FROM (SELECT {serial}($1::{text}, $2::{text})::{regclass} AS seq) AS s, \
                (SELECT {max}({pk}) AS top FROM {table} AS {ROW}) AS m \
          WHERE m.top {gt} COALESCE({last}(s.seq), 0)",
        setval = pg("setval"),
        serial = pg("pg_get_serial_sequence"),
        text = pg("text"),
        regclass = pg("regclass"),
        max = pg("max"),
        pk = pk_col(def),
        table = table(def),
        gt = pg_op(">"),
        last = pg("pg_sequence_last_value"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::schema::CreateArgs;
    use serde_json::json;

    fn def(pk_type: &str) -> CollectionDef {
        CollectionDef::from_args(&CreateArgs {
            name: "c".into(),
            db_schema: "public".into(),
            metric: "l2".into(),
            primary_key: "x".into(),
            schema: Some(json!({"fields": [
                {"name": "x", "type": pk_type, "is_primary": true, "max_length": 8},
                {"name": "v", "type": "FLOAT_VECTOR", "dim": 2},
                {"name": "n", "type": "INT64"}
            ]})),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn keys() {
        let d = def("INT64");
        assert_eq!(keys_param(&d, &json!([3, -1])).unwrap(), "{3,-1}");
        assert_eq!(keys_param(&d, &json!([])).unwrap(), "{}");
        assert_eq!(keys_param(&d, &json!(["3"])).unwrap_err().kind, ErrorKind::DatatypeMismatch);
        assert_eq!(keys_param(&d, &json!(3)).unwrap_err().kind, ErrorKind::InvalidParameterValue);
        assert_eq!(pk_in(&d, 2), "t.\"x\" OPERATOR(pg_catalog.=) ANY($2::bigint[])");
        let d = def("VARCHAR");
        assert_eq!(keys_param(&d, &json!(["a\"b", "c"])).unwrap(), "{\"a\\\"b\",\"c\"}");
        assert_eq!(keys_param(&d, &json!([1])).unwrap_err().kind, ErrorKind::DatatypeMismatch);
        assert_eq!(pk_in(&d, 1), "t.\"x\" OPERATOR(pg_catalog.=) ANY($1::pg_catalog.text[])");
    }

    #[test]
    fn statements() {
        let d = def("INT64");
        let w = where_clause(&d, Some(&json!([3])), Some(&["p".to_string()]), Some("n > 1"), 1, true).unwrap();
        assert_eq!(
            w.sql,
            " WHERE t.\"x\" OPERATOR(pg_catalog.=) ANY($1::bigint[]) \
             AND t.\"$partition\" OPERATOR(pg_catalog.=) ANY($2::pg_catalog.text[]) \
             AND ((t.\"n\" OPERATOR(pg_catalog.>) $3::bigint))"
        );
        assert_eq!(w.params, ["{3}", "{\"p\"}", "1"]);
        assert_eq!(
            delete_sql(&d, &w),
            format!("DELETE FROM \"public\".\"c\" AS t{}", w.sql)
        );
        assert_eq!(where_clause(&d, None, Some(&[]), Some("  "), 1, true).unwrap(), Where::default());
        assert_eq!(
            query_sql(&d, "e", &Where::default(), Some(5), 2),
            "SELECT e FROM \"public\".\"c\" AS t ORDER BY t.\"x\" LIMIT 5 OFFSET 2"
        );
        assert_eq!(
            existing_key_sql(&d),
            "SELECT t.\"x\"::pg_catalog.text FROM \"public\".\"c\" AS t WHERE t.\"x\" OPERATOR(pg_catalog.=) ANY($1::bigint[]) LIMIT 1"
        );
        assert_eq!(count_sql(&d, &Where::default()), "SELECT pg_catalog.count(*)::pg_catalog.text FROM \"public\".\"c\" AS t");
    }
}
