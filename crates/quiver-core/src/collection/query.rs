//! SQL for reading a collection through the API: the `entity` JSON of a row (its output
//! fields) and the search statement. Identifiers are quoted and every column qualified
//! (see [`super::dml`] for the rules); values are parameters.

use super::dml::{col, pk_text, table, ROW};
use super::ident::{pg, pg_op, quote_literal, validate_name, Ext};
use super::schema::{CollectionDef, FieldDef, MetricKind, DYNAMIC_COLUMN, PARTITION_COLUMN};
use super::types::DataType;
use crate::error::{Error, ErrorKind, Result};

/// Pairs per `jsonb_build_object` call (PostgreSQL allows 100 arguments).
const PAIRS_PER_CALL: usize = 40;

/// JSON value of column `f` of row alias `t`: vectors become arrays (dense) or their text
/// form (sparse `{i:v}/dim`, binary `0101`).
fn field_json(f: &FieldDef) -> String {
    let c = col(&f.name);
    let to_jsonb = pg("to_jsonb");
    match f.data_type {
        DataType::FloatVector | DataType::Float16Vector => format!("{to_jsonb}({c}::real[])"),
        DataType::SparseFloatVector | DataType::BinaryVector => format!("{to_jsonb}({c}::{})", pg("text")),
        _ => format!("{to_jsonb}({c})"),
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
    // dynamic keys asked for by name: only those a row has come back (as Milvus does)
    let mut dynamic_keys: Vec<String> = Vec::new();
    let mut dynamic_all = false;
    if all {
        pairs.extend(def.fields.iter().map(|f| (f.name.clone(), field_json(f))));
        dynamic_all = def.enable_dynamic_field;
    } else {
        let pk = def.primary();
        pairs.push((pk.name.clone(), field_json(pk)));
    }
    for name in output_fields.unwrap_or_default().iter().filter(|n| n.as_str() != "*") {
        if pairs.iter().any(|(n, _)| n == name) || dynamic_keys.contains(name) {
            continue;
        }
        match def.field(name) {
            Some(f) => pairs.push((name.clone(), field_json(f))),
            None if def.enable_dynamic_field => {
                validate_name("output field", name)?;
                dynamic_keys.push(name.clone());
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
            format!("{}({})", pg("jsonb_build_object"), args.join(", "))
        })
        .collect();
    if dynamic_all {
        // Schema fields win over dynamic keys of the same name.
        parts.insert(0, col(DYNAMIC_COLUMN));
    } else if !dynamic_keys.is_empty() {
        let names: Vec<String> = dynamic_keys.iter().map(|n| quote_literal(n)).collect();
        parts.push(format!(
            "COALESCE((SELECT {}(e.key, e.value) FROM {}({}) AS e WHERE e.key {} ANY (ARRAY[{}]::{}[])), '{{}}'::{})",
            pg("jsonb_object_agg"),
            pg("jsonb_each"),
            col(DYNAMIC_COLUMN),
            pg_op("="),
            names.join(", "),
            pg("text"),
            pg("jsonb")
        ));
    }
    Ok(parts.join(&format!(" {} ", pg_op("||"))))
}

/// The SQL operator ordering by `metric` (quiver's, named through its schema), and the
/// expression reported as `distance` (Milvus's convention: the squared L2 distance, Hamming /
/// Jaccard distance, inner product and cosine similarity, so larger is closer for ip and cosine).
pub fn metric_sql(ext: &Ext, metric: MetricKind, col: &str, q: &str) -> (String, String) {
    let op = match metric {
        MetricKind::L2 => "<->",
        MetricKind::Ip => "<#>",
        MetricKind::Cosine => "<=>",
        MetricKind::Hamming => "<~>",
        MetricKind::Jaccard => "<%>",
    };
    let order = format!("{col} {} {q}", ext.op(op));
    let shown = match metric {
        MetricKind::Ip => format!("({} ({order}))::double precision", pg_op("-")),
        MetricKind::Cosine => format!("(1 {} ({order}))::double precision", pg_op("-")),
        MetricKind::L2 => format!("(({order})::double precision {} 2)", pg_op("^")),
        _ => format!("({order})::double precision"),
    };
    (order, shown)
}

/// Whether larger `distance` values are closer for `metric`.
pub fn larger_is_closer(metric: MetricKind) -> bool {
    matches!(metric, MetricKind::Ip | MetricKind::Cosine)
}

/// PostgreSQL type of a query vector for field `f` (`bit` needs its length: a bare `bit`
/// cast would keep only the first bit).
pub fn query_type(ext: &Ext, f: &FieldDef) -> String {
    match f.data_type {
        DataType::Float16Vector => ext.name("halfvec"),
        DataType::SparseFloatVector => ext.name("sparsevec"),
        DataType::BinaryVector => format!("bit({})", f.dim.unwrap_or(1)),
        _ => ext.name("vector"),
    }
}

/// One search: `$1` is the query vector (text), `$2` the partition names (text[]) when
/// `partitions`, then the filter's parameters. Columns: id (text), distance, entity.
pub struct SearchSql<'a> {
    pub def: &'a CollectionDef,
    pub ext: &'a Ext,
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
    /// The search: columns `id` (text), `distance`, `entity`, best first.
    pub fn sql(&self) -> String {
        let q = format!("$1::{}", query_type(self.ext, self.field));
        let (order, shown) = metric_sql(self.ext, self.metric, &col(&self.field.name), &q);
        let mut conds: Vec<String> = Vec::new();
        if let Some(f) = &self.filter {
            conds.push(format!("({f})"));
        }
        if self.partitions {
            conds.push(format!("{} {} ANY($2::{}[])", col(PARTITION_COLUMN), pg_op("="), pg("text")));
        }
        if let Some((inner, outer)) = self.range {
            // Distances: range_filter < d <= radius; similarities (larger is closer):
            // radius < s <= range_filter.
            let (gt, le) = (pg_op(">"), pg_op("<="));
            if larger_is_closer(self.metric) {
                conds.push(format!("{shown} {gt} {}", float_lit(outer)));
                if let Some(i) = inner {
                    conds.push(format!("{shown} {le} {}", float_lit(i)));
                }
            } else {
                conds.push(format!("{shown} {le} {}", float_lit(outer)));
                if let Some(i) = inner {
                    conds.push(format!("{shown} {gt} {}", float_lit(i)));
                }
            }
        }
        conds.extend(super::properties::live_condition(self.def));
        let where_ = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let id = pk_text(self.def);
        let table = table(self.def);
        let Some((g, size)) = &self.group else {
            return format!(
                "SELECT {id} AS id, {shown} AS distance, {} AS entity FROM {table} AS {ROW}{where_} ORDER BY {order} LIMIT {} OFFSET {}",
                self.entity, self.limit, self.offset
            );
        };
        let end = self.offset.saturating_add(self.limit);
        let candidates = end.saturating_mul(*size).saturating_mul(GROUP_OVERFETCH).clamp(1, GROUP_MAX_CANDIDATES);
        // Rank candidates within their group, order groups by their best hit, keep
        // `size` rows of groups offset+1 ..= offset+limit.
        format!(
            "SELECT r.id, r.distance, r.entity FROM ( \
               SELECT c2.id, c2.distance, c2.entity, \
                      {row_number}() OVER (PARTITION BY c2.grp ORDER BY c2.ord, c2.id) AS rn, \
                      {dense_rank}() OVER (ORDER BY c2.best, c2.grp_key) AS grank \
                 FROM (SELECT c.id, c.distance, c.entity, c.ord, c.grp, \
                              {min}(c.ord) OVER (PARTITION BY c.grp) AS best, c.grp::{text} AS grp_key FROM ( \
                   SELECT {id} AS id, {shown} AS distance, {entity} AS entity, {order} AS ord, {g} AS grp \
                     FROM {table} AS {ROW}{where_} ORDER BY {order} LIMIT {candidates}) AS c) AS c2) AS r \
             WHERE r.rn {le} {size} AND r.grank {gt} {offset} AND r.grank {le} {end} ORDER BY r.grank, r.rn",
            entity = self.entity,
            g = col(g),
            offset = self.offset,
            row_number = pg("row_number"),
            dense_rank = pg("dense_rank"),
            min = pg("min"),
            text = pg("text"),
            le = pg_op("<="),
            gt = pg_op(">"),
        )
    }

    /// [`SearchSql::sql`] with each hit as one jsonb array `[id, distance, entity]`.
    pub fn rows_sql(&self) -> String {
        format!("SELECT {}(s.id, s.distance, s.entity) FROM ({}) AS s", pg("jsonb_build_array"), self.sql())
    }
}

/// A finite float as a SQL literal (callers validate finiteness): a quoted constant, so a
/// negative value needs no minus operator.
fn float_lit(x: f64) -> String {
    format!("'{x:?}'::double precision")
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
        assert_eq!(entity_sql(&d, None, false).unwrap(), "pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(t.\"id\"))");
        assert_eq!(
            entity_sql(&d, Some(&["*".into()]), false).unwrap(),
            "t.\"$meta\" OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(t.\"id\"), \
             'v', pg_catalog.to_jsonb(t.\"v\"::real[]), 'title', pg_catalog.to_jsonb(t.\"title\"))"
        );
        assert_eq!(
            entity_sql(&d, Some(&["title".into(), "color".into()]), false).unwrap(),
            "pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(t.\"id\"), 'title', pg_catalog.to_jsonb(t.\"title\")) \
             OPERATOR(pg_catalog.||) COALESCE((SELECT pg_catalog.jsonb_object_agg(e.key, e.value) \
             FROM pg_catalog.jsonb_each(t.\"$meta\") AS e WHERE e.key OPERATOR(pg_catalog.=) ANY (ARRAY['color']::pg_catalog.text[])), \
             '{}'::pg_catalog.jsonb)"
        );
        assert_eq!(entity_sql(&def(false), Some(&["color".into()]), false).unwrap_err().kind, ErrorKind::UndefinedColumn);
        assert!(entity_sql(&d, Some(&["x'); drop table c; --".into()]), false).is_err());
    }

    #[test]
    fn search_statement() {
        let d = def(false);
        let ext = Ext::new("q");
        let mut s = SearchSql {
            def: &d,
            ext: &ext,
            field: d.field("v").unwrap(),
            metric: MetricKind::Cosine,
            entity: "e".into(),
            filter: Some("f".into()),
            partitions: true,
            range: Some((Some(0.9), -0.5)),
            limit: 10,
            offset: 5,
            group: None,
        };
        let dist = "(1 OPERATOR(pg_catalog.-) (t.\"v\" OPERATOR(\"q\".<=>) $1::\"q\".vector))::double precision";
        assert_eq!(
            s.sql(),
            format!(
                "SELECT t.\"id\"::pg_catalog.text AS id, {dist} AS distance, e AS entity \
                 FROM \"public\".\"c\" AS t WHERE (f) AND t.\"$partition\" OPERATOR(pg_catalog.=) ANY($2::pg_catalog.text[]) \
                 AND {dist} OPERATOR(pg_catalog.>) '-0.5'::double precision AND {dist} OPERATOR(pg_catalog.<=) '0.9'::double precision \
                 ORDER BY t.\"v\" OPERATOR(\"q\".<=>) $1::\"q\".vector LIMIT 10 OFFSET 5"
            )
        );
        assert!(s.rows_sql().starts_with("SELECT pg_catalog.jsonb_build_array(s.id, s.distance, s.entity) FROM (SELECT t."));
        // grouping: no arithmetic on the limits can overflow
        s.group = Some(("title".into(), 1024));
        s.limit = i64::MAX;
        s.offset = i64::MAX;
        assert!(s.sql().contains(&format!("LIMIT {GROUP_MAX_CANDIDATES}) AS c")));
    }
}
