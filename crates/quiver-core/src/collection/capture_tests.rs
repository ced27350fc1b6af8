//! Name capture: every statement of the data API, generated for schemas whose field names
//! collide with each alias, column alias, keyword and function name the generator writes
//! (collected from its own output) and with short names users pick (`x`, `t`, `i`, `q`,
//! ...), must pass [`sqlcheck::check`]: every reference qualified, every operator and
//! function schema-qualified. An exhaustive deterministic loop, not a sampled one.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::dml::{self, Where};
use super::ident::{validate_name, Ext};
use super::locks;
use super::query::{entity_sql, SearchSql};
use super::rows::{prepare, Mode};
use super::schema::{CollectionDef, CreateArgs, FieldDef, MetricKind, DYNAMIC_COLUMN, PARTITION_COLUMN};
use super::sqlcheck::check;
use super::types::DataType;

const EXT: &str = "public";

/// Names users pick that are short or look like the generator's own.
const EXTRA_NAMES: &[&str] = &[
    "x", "t", "i", "q", "d", "s", "r", "k", "c", "e", "n", "v", "id", "Id", "ID", "_id", "pk", "value", "values",
    "meta", "_meta", "Meta", "partition", "_partition", "dv", "divisor", "seq", "distance", "entity", "rn", "grank",
    "grp", "grp_key", "best", "ord", "c2", "pg_catalog", "public", "jsonb", "text", "row", "OPERATOR", "AS", "ANY",
    "SELECT", "FROM", "WHERE", "limit", "offset", "count", "to_jsonb", "unnest", "ordinality", "T", "X",
];

fn def_of(fields: Value, dynamic: bool, partition_key: Option<&str>) -> Option<CollectionDef> {
    CollectionDef::from_args(&CreateArgs {
        name: "coll".into(),
        db_schema: "s".into(),
        metric: "l2".into(),
        primary_key: "___".into(),
        schema: Some(json!({"fields": fields, "enable_dynamic_field": dynamic})),
        partition_key: partition_key.map(str::to_string),
        num_partitions: 4,
        ..Default::default()
    })
    .ok()
}

/// Collections in which `w` names, in turn, the primary key, a scalar of each kind, a
/// vector, the partition key.
fn schemas(w: &str) -> Vec<CollectionDef> {
    let other = |base: &str| if base == w { format!("{base}_2") } else { base.to_string() };
    let (pk, emb, n) = (other("pk0"), other("emb"), other("n0"));
    let vec_field = json!({"name": emb, "type": "FLOAT_VECTOR", "dim": 2});
    let mut out = Vec::new();
    for (dynamic, key) in [(true, None), (false, None), (true, Some(w))] {
        let shapes = [
            json!([{"name": w, "type": "INT64", "is_primary": true}, vec_field, {"name": n, "type": "INT64"}]),
            json!([{"name": w, "type": "VARCHAR", "is_primary": true, "max_length": 8}, vec_field]),
            json!([{"name": pk, "type": "INT64", "is_primary": true}, vec_field, {"name": w, "type": "INT64"}, {"name": n, "type": "INT64"}]),
            json!([{"name": pk, "type": "INT64", "is_primary": true}, vec_field, {"name": w, "type": "VARCHAR", "max_length": 8}]),
            json!([{"name": pk, "type": "INT64", "is_primary": true}, vec_field, {"name": w, "type": "JSON"}]),
            json!([{"name": pk, "type": "INT64", "is_primary": true}, vec_field, {"name": w, "type": "ARRAY", "element_type": "INT64", "max_capacity": 4}]),
            json!([{"name": pk, "type": "INT64", "is_primary": true}, {"name": w, "type": "FLOAT_VECTOR", "dim": 2}, {"name": n, "type": "INT64"}]),
            json!([{"name": pk, "type": "VARCHAR", "is_primary": true, "max_length": 8}, {"name": w, "type": "BINARY_VECTOR", "dim": 8}, {"name": n, "type": "INT64"}]),
            json!([{"name": pk, "type": "INT64", "is_primary": true}, {"name": w, "type": "SPARSE_FLOAT_VECTOR"}, {"name": n, "type": "VARCHAR", "max_length": 4}]),
        ];
        out.extend(shapes.into_iter().filter_map(|f| def_of(f, dynamic, key)));
    }
    out
}

fn sample(f: &FieldDef) -> Value {
    match f.data_type {
        DataType::Bool => json!(true),
        DataType::Varchar => json!("a"),
        DataType::Json => json!({"k": 1}),
        DataType::Array => json!([1]),
        DataType::FloatVector | DataType::Float16Vector => json!(vec![0.5; f.dim.unwrap_or(1) as usize]),
        DataType::BinaryVector => json!("0".repeat(f.dim.unwrap_or(8) as usize)),
        DataType::SparseFloatVector => json!({"1": 0.5}),
        DataType::Float | DataType::Double => json!(1.5),
        _ => json!(1),
    }
}

/// A filter that reads field `f` (and the dynamic field, when there is one).
fn filter_on(def: &CollectionDef, f: &FieldDef) -> Option<String> {
    let name = &f.name;
    let base = match f.data_type {
        DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8 => {
            format!("{name} > 1 and {name} in [1, 2] and ({name} / {name}) * 2 == 2 and -{name} < 0")
        }
        DataType::Varchar => format!("{name} == \"a\" or {name} like \"a%\" or {name} not in [\"b\"]"),
        DataType::Json => format!("{name}[\"k\"] == 1 or json_contains({name}, 1) or {name}[\"k\"] > {name}[\"j\"]"),
        DataType::Array => format!("array_contains({name}, 1) and array_length({name}) > 0 and {name}[0] == 1"),
        _ => return None,
    };
    Some(if def.enable_dynamic_field { format!("({base}) and (undeclared_key == 3 or $meta[\"a\"] is null)") } else { base })
}

/// Every statement of the data API for `def`.
fn statements(def: &CollectionDef, ext: &Ext) -> Vec<String> {
    let mut out = Vec::new();
    let pk = def.primary();
    let row: serde_json::Map<String, Value> = def.fields.iter().map(|f| (f.name.clone(), sample(f))).collect();
    for mode in [Mode::Insert, Mode::Upsert] {
        let mut r = row.clone();
        if pk.auto_id && mode == Mode::Insert {
            r.remove(&pk.name);
        }
        let p = prepare(def, &Value::Array(vec![Value::Object(r)]), mode, None).expect("sample row");
        out.push(p.insert_sql(def, ext));
    }
    out.extend([dml::existing_key_sql(def), dml::delete_keys_sql(def), dml::identity_sync_sql(def)]);
    out.extend([locks::shared_lock_sql(), locks::exclusive_lock_sql(), locks::key_locks_sql()]);
    let ids = if pk.data_type == DataType::Int64 { json!([1, 2]) } else { json!(["a"]) };
    let partitions = [PARTITION_COLUMN.to_string()];
    let manual = def.partition_key.is_none().then_some(&partitions[..]);
    let mut entities = vec![];
    let mut named: Vec<String> = def.fields.iter().map(|f| f.name.clone()).collect();
    if def.enable_dynamic_field {
        named.push("undeclared_key".into());
    }
    for outputs in [None, Some(vec!["*".to_string()]), Some(named)] {
        for all in [false, true] {
            entities.push(entity_sql(def, outputs.as_deref(), all).expect("entity"));
        }
    }
    // (Fields named like the filter language's keywords, `and`, `in`, `like`..., cannot be
    // referenced in a filter; those filters do not compile and are left out.)
    let parts: Vec<String> = def
        .fields
        .iter()
        .filter_map(|f| filter_on(def, f))
        .filter(|x| super::filtering::compile_filter(def, x, 1).is_ok())
        .map(|x| format!("({x})"))
        .collect();
    let filters: Vec<Option<String>> = vec![None, (!parts.is_empty()).then(|| parts.join(" or "))];
    for filter in &filters {
        for ids in [None, Some(&ids)] {
            let w = dml::where_clause(def, ids, manual, filter.as_deref(), 1, true).expect("where");
            out.push(dml::delete_sql(def, &w));
            out.push(dml::count_sql(def, &w));
            // (every entity shape is checked once below; here the widest one)
            out.push(dml::get_sql(def, &entities[5], &w));
            out.push(dml::query_sql(def, &entities[5], &w, Some(3), 2));
        }
    }
    for e in &entities {
        out.push(dml::entities_by_key_sql(def, e));
        out.push(dml::get_sql(def, e, &Where::default()));
    }
    out.push(dml::delete_sql(def, &Where::default()));
    let scalars: Vec<&FieldDef> = def.fields.iter().filter(|f| f.data_type.is_scalar()).collect();
    for f in def.vector_fields() {
        // One metric per operator shape: plain distance, negated and 1 - similarity.
        for metric in [MetricKind::L2, MetricKind::Ip, MetricKind::Cosine, MetricKind::Hamming] {
            if super::ddl::opclass(f.data_type, metric).is_err() {
                continue;
            }
            for filter in &filters {
                let first = if manual.is_some() { 3 } else { 2 };
                let compiled = filter.as_deref().map(|x| super::filtering::compile_filter(def, x, first).expect("filter").sql);
                let mut groups: Vec<Option<(String, i64)>> = vec![None];
                groups.extend(scalars.iter().map(|g| Some((g.name.clone(), 2))));
                for group in groups {
                    let ranges = if group.is_none() { vec![None, Some((Some(-0.5), 2.0))] } else { vec![Some((None, 2.0))] };
                    for range in ranges {
                        let s = SearchSql {
                            def,
                            ext,
                            field: f,
                            metric,
                            entity: entities[5].clone(),
                            filter: compiled.clone(),
                            partitions: manual.is_some(),
                            range,
                            limit: 10,
                            offset: 1,
                            group: group.clone(),
                        };
                        out.push(s.rows_sql());
                    }
                }
            }
        }
    }
    out
}

/// Words (lower-cased) the generator writes outside quotes, in statements for `def`.
fn generator_words(def: &CollectionDef, ext: &Ext) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    for sql in statements(def, ext) {
        let mut in_quote: Option<char> = None;
        let mut w = String::new();
        for ch in sql.chars().chain([' ']) {
            match in_quote {
                Some(q) if ch == q => in_quote = None,
                Some(_) => {}
                None if ch == '"' || ch == '\'' => in_quote = Some(ch),
                None if ch.is_ascii_alphanumeric() || ch == '_' => {
                    w.push(ch);
                    continue;
                }
                None => {}
            }
            if !w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit()) {
                words.insert(w.clone());
                words.insert(w.to_ascii_lowercase());
            }
            w.clear();
        }
    }
    words
}

#[test]
fn statements_are_immune_to_field_names() {
    let ext = Ext::new(EXT);
    let baseline = schemas("plain_field");
    assert!(baseline.len() >= 20, "{} baseline schemas", baseline.len());
    let mut names: BTreeSet<String> = EXTRA_NAMES.iter().map(|s| s.to_string()).collect();
    for d in &baseline {
        names.extend(generator_words(d, &ext));
    }
    // The generator's own aliases are among the names tried.
    for alias in ["t", "r", "s", "c", "c2", "k", "dv", "id", "distance", "entity", "grp", "rn", "grank", "best", "ord", "grp_key", "seq"] {
        assert!(names.contains(alias), "{alias} not collected");
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for name in names.iter().filter(|n| validate_name("field", n).is_ok()) {
        let defs = schemas(name);
        assert!(!defs.is_empty(), "no schema with a field named {name}");
        for def in &defs {
            for sql in statements(def, &ext) {
                checked += 1;
                if let Err(e) = check(&sql, EXT) {
                    failures.push(format!("field {name:?}: {e}\n  {sql}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} statements fail:\n{}", failures.len(), failures[..failures.len().min(5)].join("\n"));
    assert!(checked > 30_000, "only {checked} statements checked");
}

#[test]
fn reserved_column_names_are_rejected_as_fields() {
    for reserved in [DYNAMIC_COLUMN, PARTITION_COLUMN] {
        let fields = json!([{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}, {"name": reserved, "type": "JSON"}]);
        assert!(def_of(fields, true, None).is_none(), "{reserved}");
    }
}
