//! SQL for reading a collection through the API: the `entity` JSON of a row (its output
//! fields) and the search statement. Identifiers are quoted; values are parameters.

use super::ident::{quote_ident, quote_literal, validate_name, qualified};
use super::schema::{CollectionDef, FieldDef, MetricKind, DYNAMIC_COLUMN, PARTITION_COLUMN};
use super::types::DataType;
use crate::error::{Error, ErrorKind, Result};

/// Pairs per `jsonb_build_object` call (PostgreSQL allows 100 arguments).
const PAIRS_PER_CALL: usize = 40;

/// JSON value of column `f` of row alias `t`: vectors become arrays (dense) or their text
/// form (sparse `{i:v}/dim`, binary `0101`).
fn field_json(f: &FieldDef) -> String {
    let c = format!("t.{}", quote_ident(&f.name));
    match f.data_type {
        DataType::FloatVector | DataType::Float16Vector => format!("to_jsonb({c}::real[])"),
        DataType::SparseFloatVector | DataType::BinaryVector => format!("to_jsonb({c}::text)"),
        _ => format!("to_jsonb({c})"),
    }
}

/// Which fields go into `entity`: `None` → `default_all` decides between every field (plus
/// dynamic keys) and only the primary key; `*` means every field; other names are schema
/// fields or, with a dynamic field, keys of it.
pub fn entity_sql(def: &CollectionDef, output_fields: Option<&[String]>, default_all: bool) -> Result<String> {
    let all = match output_fields {
        None => default_all,
        Some(list) => list.iter().any(|f| f == "*"),
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut dynamic_all = false;
    if all {
        pairs.extend(def.fields.iter().map(|f| (f.name.clone(), field_json(f))));
        dynamic_all = def.enable_dynamic_field;
    } else {
        let pk = def.primary();
        pairs.push((pk.name.clone(), field_json(pk)));
    }
    for name in output_fields.unwrap_or_default().iter().filter(|n| n.as_str() != "*") {
        if pairs.iter().any(|(n, _)| n == name) {
            continue;
        }
        match def.field(name) {
            Some(f) => pairs.push((name.clone(), field_json(f))),
            None if def.enable_dynamic_field => {
                validate_name("output field", name)?;
                pairs.push((name.clone(), format!("t.{} -> {}", quote_ident(DYNAMIC_COLUMN), quote_literal(name))));
            }
            None => {
                return Err(Error::new(ErrorKind::UndefinedColumn, format!("output field \"{name}\" is not in the schema of collection \"{}\"", def.name)))
            }
        }
    }
    let mut parts: Vec<String> = pairs
        .chunks(PAIRS_PER_CALL)
        .map(|chunk| {
            let args: Vec<String> = chunk.iter().map(|(n, e)| format!("{}, {e}", quote_literal(n))).collect();
            format!("jsonb_build_object({})", args.join(", "))
        })
        .collect();
    if dynamic_all {
        // Schema fields win over dynamic keys of the same name.
        parts.insert(0, format!("t.{}", quote_ident(DYNAMIC_COLUMN)));
    }
    Ok(parts.join(" || "))
}

/// The SQL operator ordering by `metric`, and the expression reported as `distance`
/// (Milvus's convention: L2 / Hamming / Jaccard distance, inner product and cosine
/// similarity, so larger is closer for ip and cosine).
pub fn metric_sql(metric: MetricKind, col: &str, q: &str) -> (String, String) {
    let op = match metric {
        MetricKind::L2 => "<->",
        MetricKind::Ip => "<#>",
        MetricKind::Cosine => "<=>",
        MetricKind::Hamming => "<~>",
        MetricKind::Jaccard => "<%>",
    };
    let order = format!("{col} {op} {q}");
    let shown = match metric {
        MetricKind::Ip => format!("(-({order}))::float8"),
        MetricKind::Cosine => format!("(1 - ({order}))::float8"),
        _ => format!("({order})::float8"),
    };
    (order, shown)
}

/// Whether larger `distance` values are closer for `metric`.
pub fn larger_is_closer(metric: MetricKind) -> bool {
    matches!(metric, MetricKind::Ip | MetricKind::Cosine)
}

/// PostgreSQL type of a query vector for field `f` (`bit` needs its length: a bare `bit`
/// cast would keep only the first bit).
pub fn query_type(f: &FieldDef) -> String {
    match f.data_type {
        DataType::Float16Vector => "halfvec".into(),
        DataType::SparseFloatVector => "sparsevec".into(),
        DataType::BinaryVector => format!("bit({})", f.dim.unwrap_or(1)),
        _ => "vector".into(),
    }
}

/// One search: `$1` is the query vector (text), `$2` the partition names (text[]) when
/// `partitions`, then the filter's parameters. Columns: id (text), distance, entity.
pub struct SearchSql<'a> {
    pub def: &'a CollectionDef,
    pub field: &'a FieldDef,
    pub metric: MetricKind,
    pub entity: String,
    pub filter: Option<String>,
    pub partitions: bool,
    /// Range search bounds on the reported distance: (range_filter, radius).
    pub range: Option<(Option<f64>, f64)>,
    pub limit: i64,
    pub offset: i64,
    /// Grouping search: (column of the group field, rows per group). `limit`/`offset`
    /// then count groups.
    pub group: Option<(String, i64)>,
}

/// Candidates read per wanted row in a grouping search.
const GROUP_OVERFETCH: i64 = 4;
/// Most candidates a grouping search reads.
const GROUP_MAX_CANDIDATES: i64 = 16_384;

impl SearchSql<'_> {
    pub fn sql(&self) -> String {
        let q = format!("$1::{}", query_type(self.field));
        let (order, shown) = metric_sql(self.metric, &format!("t.{}", quote_ident(&self.field.name)), &q);
        let mut conds: Vec<String> = Vec::new();
        if let Some(f) = &self.filter {
            conds.push(format!("({f})"));
        }
        if self.partitions {
            conds.push(format!("t.{} = ANY($2::text[])", quote_ident(PARTITION_COLUMN)));
        }
        if let Some((inner, outer)) = self.range {
            // Distances: range_filter < d <= radius; similarities (larger is closer):
            // radius < s <= range_filter.
            if larger_is_closer(self.metric) {
                conds.push(format!("{shown} > {}", float_lit(outer)));
                if let Some(i) = inner {
                    conds.push(format!("{shown} <= {}", float_lit(i)));
                }
            } else {
                conds.push(format!("{shown} <= {}", float_lit(outer)));
                if let Some(i) = inner {
                    conds.push(format!("{shown} > {}", float_lit(i)));
                }
            }
        }
        let where_ = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let pk = quote_ident(&self.def.primary().name);
        let table = qualified(&self.def.schema, &self.def.name);
        let Some((g, size)) = &self.group else {
            return format!(
                "SELECT t.{pk}::text AS id, {shown} AS distance, {} AS entity FROM {table} t{where_} ORDER BY {order} LIMIT {} OFFSET {}",
                self.entity, self.limit, self.offset
            );
        };
        let candidates = ((self.limit + self.offset) * size * GROUP_OVERFETCH).clamp(1, GROUP_MAX_CANDIDATES);
        // Rank candidates within their group, order groups by their best hit, keep
        // `size` rows of groups offset+1 ..= offset+limit.
        format!(
            "SELECT id, distance, entity FROM ( \
               SELECT *, row_number() OVER (PARTITION BY grp ORDER BY ord, id) AS rn, \
                      dense_rank() OVER (ORDER BY best, grp_key) AS grank \
                 FROM (SELECT *, min(ord) OVER (PARTITION BY grp) AS best, grp::text AS grp_key FROM ( \
                   SELECT t.{pk}::text AS id, {shown} AS distance, {entity} AS entity, {order} AS ord, t.{g} AS grp \
                     FROM {table} t{where_} ORDER BY {order} LIMIT {candidates}) c) c2) r \
             WHERE rn <= {size} AND grank > {offset} AND grank <= {end} ORDER BY grank, rn",
            entity = self.entity,
            g = quote_ident(g),
            offset = self.offset,
            end = self.offset + self.limit,
        )
    }
}

/// A finite float as a SQL literal (callers validate finiteness).
fn float_lit(x: f64) -> String {
    format!("{x:?}::float8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::schema::CreateArgs;
    use serde_json::json;

    fn def(dynamic: bool) -> CollectionDef {
        CollectionDef::from_args(&CreateArgs {
            name: "c".into(),
            db_schema: "public".into(),
            metric: "cosine".into(),
            primary_key: "id".into(),
            schema: Some(json!({"enable_dynamic_field": dynamic, "fields": [
                {"name": "id", "type": "INT64", "is_primary": true},
                {"name": "v", "type": "FLOAT_VECTOR", "dim": 2},
                {"name": "title", "type": "VARCHAR", "max_length": 5}
            ]})),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn entities() {
        let d = def(true);
        assert_eq!(entity_sql(&d, None, false).unwrap(), "jsonb_build_object('id', to_jsonb(t.\"id\"))");
        assert_eq!(
            entity_sql(&d, Some(&["*".into()]), false).unwrap(),
            "t.\"$meta\" || jsonb_build_object('id', to_jsonb(t.\"id\"), 'v', to_jsonb(t.\"v\"::real[]), 'title', to_jsonb(t.\"title\"))"
        );
        assert_eq!(
            entity_sql(&d, Some(&["title".into(), "color".into()]), false).unwrap(),
            "jsonb_build_object('id', to_jsonb(t.\"id\"), 'title', to_jsonb(t.\"title\"), 'color', t.\"$meta\" -> 'color')"
        );
        assert_eq!(entity_sql(&def(false), Some(&["color".into()]), false).unwrap_err().kind, ErrorKind::UndefinedColumn);
        assert!(entity_sql(&d, Some(&["x'); drop table c; --".into()]), false).is_err());
    }

    #[test]
    fn search_statement() {
        let d = def(false);
        let s = SearchSql {
            def: &d,
            field: d.field("v").unwrap(),
            metric: MetricKind::Cosine,
            entity: "'{}'::jsonb".into(),
            filter: Some("t.\"title\" = $3::text".into()),
            partitions: true,
            range: Some((Some(0.9), 0.5)),
            limit: 10,
            offset: 5,
            group: None,
        };
        assert_eq!(
            s.sql(),
            "SELECT t.\"id\"::text AS id, (1 - (t.\"v\" <=> $1::vector))::float8 AS distance, '{}'::jsonb AS entity \
             FROM \"public\".\"c\" t WHERE (t.\"title\" = $3::text) AND t.\"$partition\" = ANY($2::text[]) \
             AND (1 - (t.\"v\" <=> $1::vector))::float8 > 0.5::float8 AND (1 - (t.\"v\" <=> $1::vector))::float8 <= 0.9::float8 \
             ORDER BY t.\"v\" <=> $1::vector LIMIT 10 OFFSET 5"
        );
    }
}
