//! One benchmark run: dataset and ground truth, then load/build per target, then the
//! query sweep (targets alternating within each round), filtered search and inserts,
//! and finally the report files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use postgres::Client;

use super::cli::Options;
use super::attrs::Sides;
use super::dataset::{files, synthetic, Dataset, Matrix};
use super::metric::Metric;
use super::pg::{self, vector_text, ServerInfo, Target, TABLE};
use super::phases::{build, filtered, insert, load, query};
use super::phases::filtered::Case;
use super::phases::query::{Pass, Setting, Timing};
use super::result::*;
use super::truth::{self, Truth};
use super::{progress, recall, report, stats};

/// Largest k whose recall is reported.
const K_MAX: usize = 100;

/// A target being measured: its connections and what has been measured so far.
struct Live {
    target: Target,
    main: Client,
    pool: Vec<Client>,
    info: ServerInfo,
    load: Option<LoadResult>,
    build: Option<BuildResult>,
    sweep: Vec<SweepPoint>,
    filtered: Vec<FilteredPoint>,
    inserts: Option<InsertResult>,
}

pub fn run(o: &Options) -> Result<(), String> {
    let started = now_rfc3339();
    let metric = Metric::parse(&o.metric)?;
    let targets = o.targets.iter().map(|t| Target::parse(t)).collect::<Result<Vec<_>, _>>()?;
    let clients = o.clients.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let mut live = connect_all(&targets, clients)?;
    let ds = load_dataset(o)?;
    eprintln!("dataset {}: {} rows × {} dims, {} queries", ds.name, ds.base.len(), ds.base.dim, ds.queries.len());
    let (truth, truth_source) = ground_truth(&ds, metric);
    let texts: Vec<String> = (0..ds.queries.len()).map(|q| vector_text(ds.queries.row(q))).collect();
    let sides = Sides::compute(&ds.base);
    let spec = build::IndexSpec {
        method: o.method.clone(),
        opclass: metric.opclass().into(),
        options: o.with_clause(),
        maintenance_work_mem: o.maintenance_work_mem.clone(),
        columns: String::new(),
    };
    for l in &mut live {
        l.load = Some(load::run(&mut l.main, &l.target.name, &l.info, &ds.base, &sides, ds.texts.as_deref())?);
        eprintln!("{}: loaded {} rows in {:.1} s", l.target.name, ds.base.len(), l.load.as_ref().map_or(0.0, |x| x.seconds));
        let b = build::run_rounds(&mut l.main, &l.target, l.info.backend_pid, &spec, o.build_rounds)?;
        eprintln!("{}: built the index in {:.1} s, {:.1} MB", l.target.name, b.seconds, b.index_bytes as f64 / 1e6);
        l.build = Some(b);
    }
    let dist = |q: usize, id: i64| lookup(&ds, id).map(|v| metric.exact(ds.queries.row(q), v));
    sweep(o, metric, &mut live, &texts, &truth, &dist)?;
    if o.filter_queries > 0 {
        filtered_workload(o, metric, &mut live, &ds, &sides, &texts, &spec)?;
    }
    if o.inserts > 0 && !ds.extra.is_empty() {
        insert_workload(o, metric, &mut live, &ds, &sides, &texts)?;
    }
    let report = Report {
        started,
        dataset: DatasetInfo {
            name: ds.name.clone(),
            source: ds.source.clone(),
            rows: ds.base.len(),
            dim: ds.base.dim,
            queries: ds.queries.len(),
            metric: metric.name().into(),
            ground_truth: truth_source,
        },
        config: RunConfig {
            index_method: o.method.clone(),
            index_options: o.with_clause(),
            maintenance_work_mem: o.maintenance_work_mem.clone(),
            sweep_setting: o.swept().to_string(),
            sweep_values: o.sweep.clone(),
            rounds: o.rounds,
            clients,
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            parameter_format: "text".into(),
        },
        targets: live.into_iter().map(finish).collect(),
    };
    write_outputs(&o.out, &report)
}

fn connect_all(targets: &[Target], clients: usize) -> Result<Vec<Live>, String> {
    let mut out = Vec::new();
    for t in targets {
        let mut main = t.connect()?;
        let info = pg::server_info(&mut main, &t.name)?;
        let pool = (0..clients).map(|_| t.connect()).collect::<Result<Vec<_>, _>>()?;
        eprintln!("{}: {} on PostgreSQL {}", t.name, info.extension, info.server_version);
        out.push(Live {
            target: t.clone(),
            main,
            pool,
            info,
            load: None,
            build: None,
            sweep: Vec::new(),
            filtered: Vec::new(),
            inserts: None,
        });
    }
    if out.is_empty() {
        return Err("no --target given".into());
    }
    Ok(out)
}

fn load_dataset(o: &Options) -> Result<Dataset, String> {
    if o.rows == Some(0) || o.queries == 0 {
        return Err("--rows and --queries must be positive".into());
    }
    match &o.dataset {
        Some(dir) => {
            let lim = files::Limits { rows: o.rows, queries: Some(o.queries), extra: o.inserts, seed: o.seed };
            files::load_dir(dir, Metric::parse(&o.metric)?, &lim)
        }
        None => synthetic::generate(&synthetic::Spec {
            rows: o.rows.unwrap_or(100_000),
            dim: o.dim,
            queries: o.queries,
            extra: o.inserts,
            clusters: o.clusters,
            rank: o.rank,
            noise: o.noise,
            seed: o.seed,
        }),
    }
}

fn ground_truth(ds: &Dataset, metric: Metric) -> (Truth, String) {
    if let Some((file, ids)) = &ds.truth_file {
        return (truth::from_ids(&ds.base, &ds.queries, metric, ids), format!("file:{file}"));
    }
    let pb = progress::spinner("ground truth");
    pb.set_message(format!("exact top-{K_MAX} of {} queries", ds.queries.len()));
    let t = Instant::now();
    let truth = truth::exact(&ds.base, &ds.queries, metric, K_MAX, &|_| true);
    pb.finish_and_clear();
    eprintln!("ground truth: computed exactly in {:.1} s", t.elapsed().as_secs_f64());
    (truth, "computed".into())
}

/// Base row `id`, or inserted row `id - rows`.
fn lookup(ds: &Dataset, id: i64) -> Option<&[f32]> {
    let id = usize::try_from(id).ok()?;
    let n = ds.base.len();
    if id < n {
        Some(ds.base.row(id))
    } else if id - n < ds.extra.len() {
        Some(ds.extra.row(id - n))
    } else {
        None
    }
}

fn search_sql(metric: Metric, k: usize) -> String {
    format!("SELECT id FROM {TABLE} ORDER BY v {} $1::text::vector LIMIT {k}", metric.operator())
}

fn session(l: &mut Live, settings: &[Setting]) -> Result<(), String> {
    let name = l.target.name.clone();
    l.main.batch_execute("RESET ALL").map_err(|e| pg::db_err(&name, "RESET ALL", e))?;
    query::apply(&mut l.main, &name, settings)?;
    for c in &mut l.pool {
        c.batch_execute("RESET ALL").map_err(|e| pg::db_err(&name, "RESET ALL", e))?;
        query::apply(c, &name, settings)?;
    }
    Ok(())
}

type Dist<'a> = dyn Fn(usize, i64) -> Option<f64> + 'a;

/// The main sweep: recall@100 from one LIMIT 100 pass, then `rounds` timed LIMIT 10
/// passes (single and multi-client) with targets alternating within each round.
fn sweep(o: &Options, metric: Metric, live: &mut [Live], texts: &[String], truth: &Truth, dist: &Dist) -> Result<(), String> {
    let per_value = (o.rounds + 1) * texts.len() * live.len();
    let pb = progress::bar("query sweep", (per_value * o.sweep.len()) as u64);
    let (sql10, sql100) = (search_sql(metric, 10), search_sql(metric, K_MAX));
    for &v in &o.sweep {
        pb.set_message(format!("{}={v}", o.swept()));
        let settings = [Setting::new(o.swept(), v), Setting::new("enable_seqscan", "off")];
        let mut acc: Vec<(f64, Vec<Pass>, Vec<f64>)> = Vec::new();
        for l in live.iter_mut() {
            session(l, &settings)?;
            let p = query::single(&mut l.main, &l.target.name, &sql100, texts, &pb)?;
            acc.push((recall::mean_recall(&p.results, &truth.rows, K_MAX, dist), Vec::new(), Vec::new()));
        }
        for _ in 0..o.rounds {
            for (l, a) in live.iter_mut().zip(acc.iter_mut()) {
                a.1.push(query::single(&mut l.main, &l.target.name, &sql10, texts, &pb)?);
                a.2.push(query::multi(&mut l.pool, &l.target.name, &sql10, texts)?);
            }
        }
        for (l, (r100, passes, multi)) in live.iter_mut().zip(acc) {
            l.sweep.push(sweep_point(v, r100, &passes, &multi, truth, dist));
        }
    }
    pb.finish_and_clear();
    Ok(())
}

fn sweep_point(value: u32, recall_at_100: f64, passes: &[Pass], multi: &[f64], truth: &Truth, dist: &Dist) -> SweepPoint {
    let first = passes.first().map(|p| p.results.as_slice()).unwrap_or(&[]);
    let t = Timing::of(passes);
    SweepPoint {
        value,
        recall_at_1: recall::mean_recall(first, &truth.rows, 1, dist),
        recall_at_10: recall::mean_recall(first, &truth.rows, 10, dist),
        recall_at_100,
        qps: t.qps,
        p50_ms: t.p50_ms,
        p95_ms: t.p95_ms,
        p99_ms: t.p99_ms,
        multi_qps: stats::median(multi),
    }
}

/// Whether the filtered workload rebuilds this target's index with the filter column inside
/// (quiver's hnsw; peers cannot).
fn filter_in_index(o: &Options, l: &Live) -> bool {
    !o.single_column_filter && o.method == "hnsw" && l.info.extension.starts_with("quiver")
}

fn filtered_workload(o: &Options, metric: Metric, live: &mut [Live], ds: &Dataset, sides: &Sides, texts: &[String], spec: &build::IndexSpec) -> Result<(), String> {
    let settings = o.filter_settings.iter().map(|s| Setting::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let cases = o.filter_cases.iter().map(|c| Case::parse(c)).collect::<Result<Vec<_>, _>>()?;
    let multi = build::IndexSpec { columns: filtered::INDEX_COLUMNS.into(), ..spec.clone() };
    for l in live.iter_mut().filter(|l| filter_in_index(o, l)) {
        let b = build::run(&mut l.main, &l.target, l.info.backend_pid, &multi)?;
        eprintln!("{}: rebuilt the index with the filter columns in {:.1} s, {:.1} MB", l.target.name, b.seconds, b.index_bytes as f64 / 1e6);
    }
    let nq = o.filter_queries.min(texts.len());
    let values: Vec<Option<u32>> = if o.filter_sweep.is_empty() { vec![None] } else { o.filter_sweep.iter().copied().map(Some).collect() };
    let pb = progress::bar("filtered search", (cases.len() * filtered::PERMILLE.len() * values.len() * live.len() * o.rounds * nq) as u64);
    for case in cases {
        // the queries asking this filter: the first ones, or those at one end of the data
        let chosen: Vec<usize> = match case {
            Case::Correlated => sides.extreme_queries(&ds.queries, nq, true),
            Case::AntiCorrelated => sides.extreme_queries(&ds.queries, nq, false),
            Case::Uncorrelated | Case::Labels => (0..nq).collect(),
        };
        let queries = Matrix::new(ds.queries.dim, chosen.iter().flat_map(|&q| ds.queries.row(q).iter().copied()).collect());
        let texts: Vec<String> = chosen.iter().map(|&q| texts[q].clone()).collect();
        let dist = |q: usize, id: i64| lookup(ds, id).map(|v| metric.exact(queries.row(q), v));
        for pm in filtered::PERMILLE {
            let keep = move |i: usize| case.keeps(sides, pm, i);
            let truth = truth::exact(&ds.base, &queries, metric, 10, &keep);
            let sql = filtered::sql(case, pm, metric.operator(), 10);
            for &value in &values {
                // the swept setting at `value`, in place of the filter settings' own
                let mut settings = settings.clone();
                if let Some(v) = value {
                    settings.retain(|s| s.name != o.swept());
                    settings.insert(0, Setting::new(o.swept(), v));
                }
                let mut passes: Vec<Vec<Pass>> = live.iter().map(|_| Vec::new()).collect();
                for l in live.iter_mut() {
                    session(l, &settings)?;
                }
                for _ in 0..o.rounds {
                    for (l, p) in live.iter_mut().zip(passes.iter_mut()) {
                        p.push(query::single(&mut l.main, &l.target.name, &sql, &texts, &pb)?);
                    }
                }
                for (l, p) in live.iter_mut().zip(passes) {
                    let index = if filter_in_index(o, l) { format!("; index (v, {})", filtered::INDEX_COLUMNS) } else { String::new() };
                    let uses_index = filtered::uses_index(&mut l.main, &l.target.name, &sql, &texts[0])?;
                    let first = p.first().map(|x| x.results.as_slice()).unwrap_or(&[]);
                    let t = Timing::of(&p);
                    l.filtered.push(FilteredPoint {
                        case: case.name().into(),
                        selectivity: pm as f64 / 1000.0,
                        predicate: case.predicate(pm),
                        settings: format!("{}{index}", query::describe(&settings)),
                        recall_at_10: recall::mean_recall(first, &truth.rows, 10, &dist),
                        mean_rows: first.iter().map(Vec::len).sum::<usize>() as f64 / first.len().max(1) as f64,
                        short_queries: first.iter().filter(|r| r.len() < 10).count(),
                        qps: t.qps,
                        p50_ms: t.p50_ms,
                        p95_ms: t.p95_ms,
                        p99_ms: t.p99_ms,
                        uses_index,
                    });
                }
            }
        }
    }
    pb.finish_and_clear();
    // the insert workload measures the index as built for the searches
    if o.inserts > 0 {
        for l in live.iter_mut().filter(|l| filter_in_index(o, l)) {
            build::run(&mut l.main, &l.target, l.info.backend_pid, spec)?;
        }
    }
    Ok(())
}

fn insert_workload(o: &Options, metric: Metric, live: &mut [Live], ds: &Dataset, sides: &Sides, texts: &[String]) -> Result<(), String> {
    let after = Setting::parse(o.after_insert())?;
    let mut all = ds.base.data.clone();
    all.extend_from_slice(&ds.extra.data);
    let all = Matrix::new(ds.base.dim, all);
    let truth = truth::exact(&all, &ds.queries, metric, 10, &|_| true);
    let dist = |q: usize, id: i64| lookup(ds, id).map(|v| metric.exact(ds.queries.row(q), v));
    let single = (ds.extra.len() / 4).max(1);
    for l in live.iter_mut() {
        session(l, &[])?;
        let name = l.target.name.clone();
        let (s_rate, c_rate) = insert::run(&mut l.main, &mut l.pool, &name, &ds.extra, sides, ds.base.len(), single)?;
        session(l, &[after.clone(), Setting::new("enable_seqscan", "off")])?;
        let pb = progress::bar(&format!("{name}: recall after inserts"), texts.len() as u64);
        let p = query::single(&mut l.main, &name, &search_sql(metric, 10), texts, &pb)?;
        pb.finish_and_clear();
        let size: i64 = l
            .main
            .query_one(&format!("SELECT pg_relation_size('{}')", pg::INDEX), &[])
            .map_err(|e| pg::db_err(&name, "reading the index size", e))?
            .get(0);
        eprintln!("{name}: inserts {s_rate:.0} rows/s single, {c_rate:.0} rows/s with {} connections", l.pool.len());
        l.inserts = Some(InsertResult {
            single_rows: single,
            single_rows_per_sec: s_rate,
            concurrent_clients: l.pool.len(),
            concurrent_rows: ds.extra.len() - single,
            concurrent_rows_per_sec: c_rate,
            recall_setting: query::describe(std::slice::from_ref(&after)),
            recall_at_10_after: recall::mean_recall(&p.results, &truth.rows, 10, &dist),
            index_bytes_after: size as u64,
        });
    }
    Ok(())
}

fn finish(l: Live) -> TargetResult {
    TargetResult {
        name: l.target.name,
        extension: l.info.extension,
        server_version: l.info.server_version,
        load: l.load.unwrap_or(LoadResult { rows: 0, seconds: 0.0, table_bytes: 0 }),
        build: l.build.unwrap_or(BuildResult {
            seconds: 0.0,
            all_seconds: Vec::new(),
            index_bytes: 0,
            backend_peak_rss_bytes: None,
            backend_rss_growth_bytes: None,
            workers_peak_rss_bytes: None,
        }),
        sweep: l.sweep,
        filtered: l.filtered,
        inserts: l.inserts,
    }
}

/// `quiver-bench report FILE.json [OUT-DIR]`: renders the markdown and plots of a saved run
/// again (e.g. after editing labels), next to the JSON unless OUT-DIR is given.
pub fn rerender(args: &[String]) -> Result<(), String> {
    let json = args.first().ok_or("report: expected the path of a run's JSON file")?;
    let text = std::fs::read_to_string(json).map_err(|e| format!("{json}: {e}"))?;
    let r: Report = serde_json::from_str(&text).map_err(|e| format!("{json}: not a quiver-bench report: {e}"))?;
    let dir = match args.get(1) {
        Some(d) => PathBuf::from(d),
        None => Path::new(json).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    write_outputs(&dir, &r)
}

fn write_outputs(dir: &Path, r: &Report) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let stem: String = r.dataset.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let path = |ext: &str| -> PathBuf { dir.join(format!("{stem}{ext}")) };
    let json = serde_json::to_string_pretty(r).map_err(|e| e.to_string())?;
    std::fs::write(path(".json"), json).map_err(|e| format!("{}: {e}", path(".json").display()))?;
    let md = report::markdown(r);
    std::fs::write(path(".md"), &md).map_err(|e| format!("{}: {e}", path(".md").display()))?;
    println!("{md}");
    eprintln!("wrote {} and {}", path(".md").display(), path(".json").display());
    report::plot(r, &path("-recall-qps.png"), &path("-recall-qps.svg"))?;
    eprintln!("wrote {} and {}", path("-recall-qps.png").display(), path("-recall-qps.svg").display());
    Ok(())
}

/// The current UTC time as RFC 3339 (seconds), without a date-time dependency.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // civil-from-days (proleptic Gregorian), days since 1970-01-01
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_shape() {
        let s = now_rfc3339();
        assert_eq!(s.len(), 20);
        assert!(s.starts_with("20") && s.ends_with('Z'));
    }
}
