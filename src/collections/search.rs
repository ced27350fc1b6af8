//! search / explain_search: nearest neighbours of one or more query vectors, with filter,
//! partitions, output fields, range search and grouping search.

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::{AnyElement, JsonB, PgSqlErrorCode};
use quiver_core::collection::dml;
use quiver_core::collection::query::SearchSql;
use quiver_core::collection::schema::MetricKind;
use quiver_core::collection::vectors::query_vectors;
use quiver_core::collection::{filtering, rank, CollectionDef, DataType, FieldDef};
use quiver_core::{Error, ErrorKind};
use serde_json::Value;

use super::args::{optional, required, templated_filter, Jsonb, Text, TextArray};
use super::catalog::{self, Collection};
use super::{args, data, index, partition, pgvalue, spi};
use crate::error::{raise, raise_code, OrRaise};

const MAX_LIMIT: i64 = 16_384;
const PARAM_KEYS: [&str; 8] = ["ef", "nprobe", "radius", "range_filter", "group_by_field", "group_size", "metric_type", "params"];

/// Everything a search needs, validated.
struct Plan {
    sql: String,
    /// `sql` with each hit as one jsonb array `[id, distance, entity]`.
    rows_sql: String,
    /// Query vectors as text, one search each.
    queries: Vec<String>,
    /// Parameters after the query vector ($2...).
    params: Vec<String>,
    ef: Option<i64>,
    /// IVF_FLAT lists to probe (ivfflat.probes).
    nprobe: Option<i64>,
    metric: MetricKind,
}

fn vector_field<'a>(def: &'a CollectionDef, anns_field: Option<&str>) -> &'a FieldDef {
    match anns_field {
        Some(n) => {
            let f = def.field(n).unwrap_or_else(|| {
                raise(Error::new(ErrorKind::UndefinedColumn, format!("collection \"{}\" has no field \"{n}\"", def.name)))
            });
            if !f.data_type.is_vector() {
                raise(Error::param(format!("anns_field \"{n}\" is not a vector field")));
            }
            f
        }
        None => {
            let v: Vec<&FieldDef> = def.vector_fields().collect();
            match v.as_slice() {
                [f] => f,
                _ => raise(Error::param(format!("collection \"{}\" has several vector fields; pass anns_field", def.name))),
            }
        }
    }
}

/// `data` of search / explain_search as JSON: jsonb as it is, text parsed as JSON, any
/// other type (vector, halfvec, sparsevec, bit, arrays of them, real[] ...) through
/// `to_jsonb()`, which gives the text form of quiver's types (`"[1,2,3]"`).
fn data_json(data: Option<AnyElement>) -> Value {
    let data = required("data", data);
    let oid = data.oid();
    if oid == pg_sys::JSONBOID {
        return unsafe { pgvalue::jsonb(data.datum(), "data") };
    }
    if [pg_sys::TEXTOID, pg_sys::VARCHAROID, pg_sys::BPCHAROID].contains(&oid) {
        let text = unsafe { pgvalue::text(data.datum(), oid, &"data") };
        return serde_json::from_str::<Value>(&text).unwrap_or_else(|e| {
            // Valid JSON, but serde_json (like quiver) holds numbers as double precision.
            if e.is_syntax() && e.to_string().starts_with("number out of range") {
                raise(Error::new(ErrorKind::NumericValueOutOfRange, "number in data is out of range for type double precision")
                    .with_detail(format!("At line {} column {}.", e.line(), e.column())));
            }
            raise_code(PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION, format!("data is not valid JSON: {e}"))
        });
    }
    spi::to_jsonb(unsafe { DatumWithOid::new(data, oid) }).unwrap_or(Value::Null)
}

/// The metric of the hnsw index on `f`, if there is one.
fn index_metric(def: &CollectionDef, f: &FieldDef) -> Option<MetricKind> {
    spi::text_one(
        &format!("SELECT {} \
           FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid \
           JOIN pg_catalog.pg_am AS am ON am.oid OPERATOR(pg_catalog.=) i.relam \
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) x.indrelid AND a.attnum OPERATOR(pg_catalog.=) x.indkey[0] \
           JOIN pg_catalog.pg_opclass AS opc ON opc.oid OPERATOR(pg_catalog.=) x.indclass[0] \
          WHERE x.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass AND a.attname OPERATOR(pg_catalog.=) $2 \
            AND am.amname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ('{{hnsw,ivfflat}}'::pg_catalog.text[]) ORDER BY i.oid LIMIT 1", index::OPCLASS_METRIC_SQL),
        &[&catalog::table(def), &f.name],
    )
    .and_then(|m| MetricKind::parse(&m).ok())
}

fn num(p: &serde_json::Map<String, Value>, k: &str) -> Option<f64> {
    p.get(k).map(|v| v.as_f64().filter(|x| x.is_finite()).unwrap_or_else(|| raise(Error::param(format!("search parameter \"{k}\" must be a number")))))
}

#[allow(clippy::too_many_arguments)]
fn plan(
    collection: &str,
    data: &Value,
    anns_field: Option<&str>,
    limit: i64,
    offset: i64,
    filter: Option<&str>,
    output_fields: Option<&[String]>,
    partition_names: Option<&[String]>,
    params: Option<&Value>,
) -> Plan {
    let coll = catalog::load(collection);
    let def: &CollectionDef = &coll;
    let f = vector_field(def, anns_field);
    if !(1..=MAX_LIMIT).contains(&limit) || offset < 0 || limit.checked_add(offset).is_none_or(|end| end > MAX_LIMIT) {
        raise(Error::param(format!("limit must be between 1 and {MAX_LIMIT} and offset non-negative, with limit + offset at most {MAX_LIMIT}")));
    }
    // Milvus's search_params: flat, or with the knobs nested under "params".
    let mut p = serde_json::Map::new();
    if let Some(v) = params.filter(|v| !v.is_null()) {
        let o = v.as_object().unwrap_or_else(|| raise(Error::param("params must be a JSON object")));
        if let Some(k) = o.keys().find(|k| !PARAM_KEYS.contains(&k.as_str())) {
            raise(Error::param(format!("unknown search parameter \"{k}\" (allowed: {})", PARAM_KEYS.join(", "))));
        }
        for (k, v) in o {
            match (k.as_str(), v) {
                ("params", Value::Object(inner)) => p.extend(inner.clone()),
                ("params", _) => raise(Error::param("search parameter \"params\" must be an object")),
                _ => {
                    p.insert(k.clone(), v.clone());
                }
            }
        }
    }
    let metric = match p.get("metric_type").and_then(Value::as_str) {
        Some(m) => MetricKind::parse(m).or_raise(),
        None => index_metric(def, f).unwrap_or_else(|| def.metric.for_type(f.data_type)),
    };
    quiver_core::collection::ddl::opclass(f.data_type, metric).or_raise();
    let ef = num(&p, "ef").map(|e| e as i64);
    if ef.is_some_and(|e| !(1..=1000).contains(&e)) {
        raise(Error::param("search parameter \"ef\" must be between 1 and 1000"));
    }
    let nprobe = num(&p, "nprobe").map(|e| e as i64);
    if nprobe.is_some_and(|e| !(1..=32768).contains(&e)) {
        raise(Error::param("search parameter \"nprobe\" must be between 1 and 32768"));
    }
    let range = num(&p, "radius").map(|r| (num(&p, "range_filter"), r));
    if range.is_none() && p.contains_key("range_filter") {
        raise(Error::param("range_filter needs radius"));
    }
    let group = p.get("group_by_field").map(|g| {
        let name = g.as_str().unwrap_or_else(|| raise(Error::param("group_by_field must be a field name")));
        let gf = def.field(name).unwrap_or_else(|| raise(Error::new(ErrorKind::UndefinedColumn, format!("group_by_field \"{name}\" is not in the schema"))));
        if !gf.data_type.is_scalar() {
            raise(Error::param(format!("cannot group by the {} field \"{name}\"", gf.data_type.name())));
        }
        let size = num(&p, "group_size").unwrap_or(1.0) as i64;
        if !(1..=1024).contains(&size) {
            raise(Error::param("group_size must be between 1 and 1024"));
        }
        (name.to_string(), size)
    });
    let entity = data::entity(def, output_fields, false);
    let mut params_out: Vec<String> = Vec::new();
    let parts = partition_names.filter(|p| !p.is_empty());
    if let Some(parts) = parts {
        partition::check_names(def, parts);
        params_out.push(filtering::text_array_literal(parts));
    }
    let filter_sql = filter.filter(|f| !f.trim().is_empty()).map(|expr| {
        let c = filtering::compile_filter(def, expr, 2 + params_out.len()).or_raise();
        data::notify(&c.notices);
        params_out.extend(c.params);
        c.sql
    });
    let queries = query_vectors(f, data).or_raise();
    let search = SearchSql {
        def,
        ext: &coll.ext,
        field: f,
        metric,
        entity,
        filter: filter_sql,
        partitions: parts.is_some(),
        range,
        limit,
        offset,
        group,
    };
    Plan { sql: search.sql(), rows_sql: search.rows_sql(), queries, params: params_out, ef, nprobe, metric }
}

/// The arguments of search and explain_search, read (in the order of the parameters).
struct SearchArgs<'a> {
    collection: &'a str,
    data: Value,
    anns_field: Option<&'a str>,
    limit: i64,
    offset: i64,
    filter: Option<String>,
    output_fields: Option<Vec<String>>,
    partition_names: Option<Vec<String>>,
    params: Option<Value>,
}

impl<'a> SearchArgs<'a> {
    #[allow(clippy::too_many_arguments)]
    fn read(
        collection: Option<Text<'a>>,
        data: Option<AnyElement>,
        anns_field: Option<Text<'a>>,
        limit: Option<i64>,
        offset: Option<i64>,
        filter: Option<Text<'a>>,
        output_fields: Option<TextArray>,
        partition_names: Option<TextArray>,
        params: Option<Jsonb>,
        filter_params: Option<Jsonb>,
    ) -> Self {
        SearchArgs {
            collection: required("collection", collection),
            data: data_json(data),
            anns_field: optional("anns_field", anns_field),
            limit: required("limit", limit),
            offset: required("offset", offset),
            filter: templated_filter(optional("filter", filter), optional("filter_params", filter_params).as_ref()),
            output_fields: optional("output_fields", output_fields),
            partition_names: optional("partition_names", partition_names),
            params: optional("params", params),
        }
    }

    fn plan(&self) -> Plan {
        plan(
            self.collection,
            &self.data,
            self.anns_field,
            self.limit,
            self.offset,
            self.filter.as_deref(),
            self.output_fields.as_deref(),
            self.partition_names.as_deref(),
            self.params.as_ref(),
        )
    }
}

/// Runs `body` with hnsw's ef_search and ivfflat's probes (if given) and strict iterative
/// scans (so filtered searches return full limits) set for the current transaction, then
/// restores them. (ivfflat has no strictly ordered iterative scan; without one its cost model
/// sends a filtered search that the probed lists would leave short to an exact plan.)
fn with_settings<T>(ef: Option<i64>, nprobe: Option<i64>, body: impl FnOnce() -> T) -> T {
    let Some(n) = nprobe else { return with_hnsw_settings(ef, body) };
    let old = spi::text_one("SELECT pg_catalog.current_setting('ivfflat.probes')", &[]).unwrap_or_else(|| "1".to_string());
    let set = "SELECT pg_catalog.set_config('ivfflat.probes', $1, true)";
    spi::text_one(set, &[&n.to_string()]);
    let out = with_hnsw_settings(ef, body);
    spi::text_one(set, &[&old]);
    out
}

fn with_hnsw_settings<T>(ef: Option<i64>, body: impl FnOnce() -> T) -> T {
    // One statement reads both settings, one sets them, one restores them.
    let old = spi::json_one(
        "SELECT pg_catalog.jsonb_build_array(pg_catalog.current_setting('hnsw.iterative_scan', true), \
                                             pg_catalog.current_setting('hnsw.ef_search', true))",
        &[],
    )
    .unwrap_or(Value::Null);
    // ef_search only changes when $2 is not empty.
    let set = "SELECT pg_catalog.set_config('hnsw.iterative_scan', $1, true) OPERATOR(pg_catalog.||) \
               COALESCE(CASE WHEN $2 OPERATOR(pg_catalog.<>) '' THEN pg_catalog.set_config('hnsw.ef_search', $2, true) END, '')";
    let ef_text = ef.map(|e| e.to_string()).unwrap_or_default();
    spi::text_one(set, &["strict_order", &ef_text]);
    let out = body();
    let (old_iter, old_ef) = (old[0].as_str().unwrap_or("off"), old[1].as_str().unwrap_or_default());
    spi::text_one(set, &[old_iter, if ef.is_some() { old_ef } else { "" }]);
    out
}

/// Runs a planned search: per query vector, its hits (id, distance, entity).
fn run(p: &Plan) -> Vec<Vec<(String, f64, Value)>> {
    with_settings(p.ef, p.nprobe, || {
        p.queries
            .iter()
            .map(|q| {
                let mut args: Vec<&str> = vec![q.as_str()];
                args.extend(p.params.iter().map(String::as_str));
                spi::json_rows(&p.rows_sql, &args)
                    .into_iter()
                    .map(|row| (row[0].as_str().unwrap_or_default().to_string(), row[1].as_f64().unwrap_or(f64::NAN), row[2].clone()))
                    .collect()
            })
            .collect()
    })
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn search(
    collection: Option<Text>,
    data: Option<AnyElement>,
    anns_field: Option<Text>,
    limit: Option<i64>,
    offset: Option<i64>,
    filter: Option<Text>,
    output_fields: Option<TextArray>,
    partition_names: Option<TextArray>,
    params: Option<Jsonb>,
    filter_params: Option<Jsonb>,
    consistency_level: Option<Text>,
) -> TableIterator<'static, (name!(query_index, i32), name!(id, String), name!(distance, f64), name!(entity, JsonB))> {
    args::consistency_level(consistency_level);
    let a = SearchArgs::read(collection, data, anns_field, limit, offset, filter, output_fields, partition_names, params, filter_params);
    let p = a.plan();
    let hits: Vec<_> = run(&p)
        .into_iter()
        .enumerate()
        .flat_map(|(qi, hs)| hs.into_iter().map(move |(id, d, e)| (qi as i32, id, d, JsonB(e))))
        .collect();
    TableIterator::new(hits)
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn explain_search(
    collection: Option<Text>,
    data: Option<AnyElement>,
    anns_field: Option<Text>,
    limit: Option<i64>,
    offset: Option<i64>,
    filter: Option<Text>,
    output_fields: Option<TextArray>,
    partition_names: Option<TextArray>,
    params: Option<Jsonb>,
    filter_params: Option<Jsonb>,
) -> SetOfIterator<'static, String> {
    let a = SearchArgs::read(collection, data, anns_field, limit, offset, filter, output_fields, partition_names, params, filter_params);
    let p = a.plan();
    let mut args: Vec<&str> = vec![p.queries[0].as_str()];
    args.extend(p.params.iter().map(String::as_str));
    // The plan, then what its vector index scans did when the search ran (the path inside
    // the index is chosen while it runs: a filtered walk, or an exact pass over the rows
    // that pass the filter).
    let (mut lines, scans) = with_settings(p.ef, p.nprobe, || {
        let lines = spi::text_rows(&format!("EXPLAIN (COSTS OFF) {}", p.sql), &args);
        let (_, scans) = crate::am::common::report::recording(|| spi::json_rows(&p.rows_sql, &args));
        (lines, scans)
    });
    if scans.is_empty() {
        lines.push("quiver: no vector index scan ran (exact search)".to_string());
    }
    lines.extend(scans.into_iter().map(|s| format!("quiver: {s}")));
    SetOfIterator::new(lines)
}

/// A request's keys: quiver's, and pymilvus's AnnSearchRequest names (`expr` for `filter`,
/// `expr_params` for `filter_params`, `param` for `params`, which takes pymilvus's
/// `{"metric_type": ..., "params": {...}}` as it is).
const REQUEST_KEYS: [&str; 9] =
    ["data", "anns_field", "limit", "filter", "params", "expr", "param", "filter_params", "expr_params"];

/// The value of `key` or of its pymilvus spelling `alias` (not both).
fn either<'a>(o: &'a serde_json::Map<String, Value>, i: usize, key: &str, alias: &str) -> Option<&'a Value> {
    match (o.get(key), o.get(alias)) {
        (Some(_), Some(_)) => raise(Error::param(format!("request {i}: give \"{key}\" or \"{alias}\", not both"))),
        (a, b) => a.or(b),
    }
}

/// hybrid_search: one search per request (each with its own vector field, query vector,
/// filter and limit), fused by RRF or weighted scores, top `limit` with their entities.
#[pg_extern(sql = false)]
fn hybrid_search(
    collection: Option<Text>,
    requests: Option<Jsonb>,
    ranker: Option<Text>,
    ranker_params: Option<Jsonb>,
    limit: Option<i64>,
    output_fields: Option<TextArray>,
    consistency_level: Option<Text>,
) -> TableIterator<'static, (name!(id, String), name!(score, f64), name!(entity, JsonB))> {
    args::consistency_level(consistency_level);
    let collection = required("collection", collection);
    let requests = required("requests", requests);
    let ranker = required("ranker", ranker);
    let limit = required("limit", limit);
    let ranker_params = optional("ranker_params", ranker_params);
    let output_fields = optional("output_fields", output_fields);
    let reqs = requests.as_array().filter(|a| !a.is_empty()).unwrap_or_else(|| raise(Error::param("requests must be a non-empty JSON array of search requests")));
    if !(1..=MAX_LIMIT).contains(&limit) {
        raise(Error::param(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let mut lists = Vec::with_capacity(reqs.len());
    let mut metrics = Vec::with_capacity(reqs.len());
    for (i, r) in reqs.iter().enumerate() {
        let o = r.as_object().unwrap_or_else(|| raise(Error::param(format!("request {i} must be a JSON object"))));
        if let Some(k) = o.keys().find(|k| !REQUEST_KEYS.contains(&k.as_str())) {
            raise(Error::param(format!("request {i}: unknown key \"{k}\" (allowed: {})", REQUEST_KEYS.join(", "))));
        }
        let data = o.get("data").unwrap_or_else(|| raise(Error::param(format!("request {i} has no \"data\""))));
        let req_limit = o.get("limit").map_or(limit, |v| v.as_i64().unwrap_or_else(|| raise(Error::param(format!("request {i}: limit must be an integer")))));
        let filter = templated_filter(either(o, i, "filter", "expr").and_then(Value::as_str), either(o, i, "filter_params", "expr_params"));
        let p = plan(
            collection,
            data,
            o.get("anns_field").and_then(Value::as_str),
            req_limit,
            0,
            filter.as_deref(),
            None,
            None,
            either(o, i, "params", "param"),
        );
        if p.queries.len() != 1 {
            raise(Error::param(format!("request {i} must hold exactly one query vector")));
        }
        metrics.push(p.metric);
        lists.push(run(&p).into_iter().next().unwrap_or_default().into_iter().map(|(id, d, _)| (id, d)).collect::<Vec<_>>());
    }
    let rp = ranker_params.unwrap_or(Value::Null);
    // pymilvus's class names (RRFRanker, WeightedRanker) name the same rankers
    let ranker = ranker.to_ascii_lowercase();
    let fused = match ranker.strip_suffix("ranker").unwrap_or(&ranker) {
        "rrf" => rank::rrf(&lists, rp.get("k").and_then(Value::as_f64).unwrap_or(60.0), limit as usize),
        "weighted" => {
            let w: Vec<f64> = rp
                .get("weights")
                .and_then(Value::as_array)
                .unwrap_or_else(|| raise(Error::param("the weighted ranker needs ranker_params => '{\"weights\": [...]}'")))
                .iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN))
                .collect();
            rank::weighted(&lists, &metrics, &w, limit as usize)
        }
        other => Err(Error::param(format!("unknown ranker \"{other}\" (expected rrf or weighted)"))),
    }
    .or_raise();
    let coll: Collection = catalog::load(collection);
    let entity = data::entity(&coll, output_fields.as_deref(), false);
    // The ids come back as text; the key parameter has the key's type.
    let int_pk = coll.primary().data_type == DataType::Int64;
    let ids: Vec<Value> = fused
        .iter()
        .map(|(id, _)| if int_pk { id.parse::<i64>().map(Value::from).unwrap_or(Value::Null) } else { Value::String(id.clone()) })
        .collect();
    let keys = dml::keys_param(&coll, &Value::Array(ids)).or_raise();
    let rows = spi::json_rows(&dml::entities_by_key_sql(&coll, &entity), &[&keys]);
    let mut entities: std::collections::HashMap<String, Value> = rows
        .into_iter()
        .map(|r| (r[0].as_str().unwrap_or_default().to_string(), r[1].clone()))
        .collect();
    TableIterator::new(
        fused
            .into_iter()
            .map(move |(id, score)| {
                let e = entities.remove(&id).unwrap_or(Value::Null);
                (id, score, JsonB(e))
            })
            .collect::<Vec<_>>(),
    )
}
