//! The GitHub-flavoured markdown report of a run: a header describing the setup, a
//! summary table comparing the targets side by side (with the first target as the
//! reference for ratios), then per-target sweep, filtered-search and insert tables.
//!
//! Number formats: recall 3 decimals, QPS and rows/s 0 decimals, latencies 2 decimals (ms),
//! durations 2 decimals below 10 s and 1 above, sizes in MB (1024² bytes, as PostgreSQL's
//! `pg_size_pretty`) with 1 decimal. Unmeasured or non-finite figures show as "—".

use crate::ann::result::*;

/// Placeholder for a figure that was not measured or cannot be computed.
const DASH: &str = "—";

/// Recall thresholds the summary reports QPS at.
const RECALL_TARGETS: [f64; 3] = [0.90, 0.95, 0.99];

/// Tolerance when comparing a measured recall with a threshold, so that a recall that is
/// exactly 0.95 in decimal but slightly below it in binary still counts.
const RECALL_EPSILON: f64 = 1e-9;

/// Renders the whole report of a run as markdown.
pub fn markdown(r: &Report) -> String {
    let mut out = header(r);
    out.push_str(&summary(r));
    for t in &r.targets {
        out.push_str(&sweep_table(r, t));
    }
    for t in &r.targets {
        out.push_str(&filtered_table(t));
    }
    out.push_str(&inserts_table(r));
    out
}

/// The sweep point with the highest single-client QPS among those whose recall@10 reaches
/// `min_recall`, or `None` when no point reaches it. Points with a non-finite QPS are
/// ignored; on a tie the earlier (lower sweep value) point wins.
pub fn qps_at_recall(sweep: &[SweepPoint], min_recall: f64) -> Option<&SweepPoint> {
    sweep
        .iter()
        .filter(|p| p.qps.is_finite() && p.recall_at_10 + RECALL_EPSILON >= min_recall)
        .fold(None, |best: Option<&SweepPoint>, p| match best {
            Some(b) if b.qps >= p.qps => Some(b),
            _ => Some(p),
        })
}

/// Title and a bullet list describing the dataset, index and client setup.
fn header(r: &Report) -> String {
    let d = &r.dataset;
    let c = &r.config;
    let mut s = format!("# ANN benchmark: {}\n\n", d.name);
    s.push_str(&format!(
        "- **Dataset:** {} rows × {} dims, metric `{}`, {} queries (ground truth: {}; source: {})\n",
        d.rows, d.dim, d.metric, d.queries, d.ground_truth, d.source
    ));
    s.push_str(&format!(
        "- **Index:** `{}`, maintenance_work_mem = {}\n",
        index_label(c),
        c.maintenance_work_mem
    ));
    let builds = r.targets.iter().map(|t| t.build.all_seconds.len()).max().unwrap_or(1);
    if builds > 1 {
        s.push_str(&format!("- **Build time:** median of {builds} builds per target, each after DROP INDEX and CHECKPOINT\n"));
    }
    s.push_str(&format!(
        "- **Search:** `{}` swept over {}, median of {} round(s), query vectors as {}\n",
        c.sweep_setting,
        join_values(&c.sweep_values),
        c.rounds,
        c.parameter_format
    ));
    s.push_str(&format!(
        "- **Clients:** 1 and {} concurrent, on {} CPUs\n",
        c.clients, c.cpus
    ));
    s.push_str(&format!("- **Started:** {}\n", r.started));
    for t in &r.targets {
        s.push_str(&format!(
            "- **Target `{}`:** {}, {}\n",
            t.name, t.extension, t.server_version
        ));
    }
    s.push('\n');
    s
}

/// `USING <method> WITH (<options>)`, leaving out an empty option list.
fn index_label(c: &RunConfig) -> String {
    let opts = c.index_options.trim();
    if opts.is_empty() {
        format!("USING {}", c.index_method)
    } else if opts.starts_with('(') {
        format!("USING {} WITH {}", c.index_method, opts)
    } else {
        format!("USING {} WITH ({})", c.index_method, opts)
    }
}

fn join_values(values: &[u32]) -> String {
    let v: Vec<String> = values.iter().map(u32::to_string).collect();
    format!("{{{}}}", v.join(", "))
}

/// How a summary row compares the first target with another one.
#[derive(Clone, Copy)]
enum Compare {
    /// A duration: "N× faster" when the first target takes less time, "N× slower" otherwise.
    Time,
    /// A rate (QPS, rows/s): "N× faster" when the first target's rate is higher.
    Rate,
    /// A size: the plain quotient first / other, e.g. "0.98×".
    Size,
    /// A recall: the signed difference first − other.
    Recall,
}

impl Compare {
    /// The ratio cell for `first` against `other`; "—" when either is missing or zero.
    fn phrase(self, first: Option<f64>, other: Option<f64>) -> String {
        let (Some(a), Some(b)) = (first, other) else {
            return DASH.to_string();
        };
        if !a.is_finite() || !b.is_finite() {
            return DASH.to_string();
        }
        match self {
            Compare::Recall => format!("{:+.3}", a - b),
            Compare::Size => quotient(a, b).map_or(DASH.to_string(), |q| format!("{}×", factor(q))),
            // For a duration the first target is faster when its time is lower.
            Compare::Time => speed(b, a),
            Compare::Rate => speed(a, b),
        }
    }
}

/// "N× faster" / "N× slower" given the first and other target's speeds (higher is better).
fn speed(first: f64, other: f64) -> String {
    match quotient(first, other) {
        None => DASH.to_string(),
        Some(q) if (q - 1.0).abs() < 0.005 => "1.00×".to_string(),
        Some(q) if q > 1.0 => format!("{}× faster", factor(q)),
        Some(q) => match quotient(1.0, q) {
            Some(inv) => format!("{}× slower", factor(inv)),
            None => DASH.to_string(),
        },
    }
}

/// `a / b` when both are positive and the result is finite.
fn quotient(a: f64, b: f64) -> Option<f64> {
    let q = a / b;
    (a > 0.0 && b > 0.0 && q.is_finite()).then_some(q)
}

/// A ratio with two decimals below 10 and one above.
fn factor(q: f64) -> String {
    if q < 10.0 {
        format!("{q:.2}")
    } else {
        format!("{q:.1}")
    }
}

/// The summary table: one column per target, then one "first / other" column per extra target.
fn summary(r: &Report) -> String {
    if r.targets.is_empty() {
        return "_No targets were measured._\n\n".to_string();
    }
    let mut head = vec![String::new()];
    head.extend(r.targets.iter().map(|t| t.name.clone()));
    let first = &r.targets[0].name;
    head.extend(
        r.targets[1..]
            .iter()
            .map(|t| format!("{first} / {}", t.name)),
    );

    let mut s = String::from("## Summary\n\n");
    s.push_str(&table_row(&head));
    s.push_str(&align_row(head.len(), 1));
    for row in summary_rows(r) {
        s.push_str(&row);
    }
    if r.targets.len() >= 2 {
        s.push_str(RATIO_NOTE);
    }
    s.push('\n');
    s
}

/// Explains the ratio columns below the summary table.
const RATIO_NOTE: &str = "\n_Ratio columns compare the first target with each other one: \
\"N× faster\" or \"N× slower\" for times and rates, first ÷ other for sizes \
and first − other for recall._\n";

/// Every row of the summary table, already rendered.
fn summary_rows(r: &Report) -> Vec<String> {
    let ts = &r.targets;
    let setting = short_setting(&r.config.sweep_setting);
    let mut rows = vec![
        row("Load time (s)", ts, Compare::Time, |t| secs(t.load.seconds)),
        row("Table size (MB)", ts, Compare::Size, |t| {
            mb(Some(t.load.table_bytes))
        }),
        row("Build time (s)", ts, Compare::Time, |t| {
            secs(t.build.seconds)
        }),
        row("Index size (MB)", ts, Compare::Size, |t| {
            mb(Some(t.build.index_bytes))
        }),
        row("Build backend peak RSS (MB)", ts, Compare::Size, |t| {
            mb(t.build.backend_peak_rss_bytes)
        }),
        row("Build backend RSS growth (MB)", ts, Compare::Size, |t| {
            mb(t.build.backend_rss_growth_bytes)
        }),
        row("Build workers peak RSS (MB)", ts, Compare::Size, |t| {
            mb(t.build.workers_peak_rss_bytes)
        }),
    ];
    for min in RECALL_TARGETS {
        let label = format!("QPS at recall@10 ≥ {min:.2} (1 client)");
        rows.push(row(&label, ts, Compare::Rate, |t| {
            qps_at_recall(&t.sweep, min)
                .map(|p| (p.qps, format!("{} ({setting}={})", qps(p.qps), p.value)))
        }));
    }
    rows.extend(filtered_rows(ts));
    rows.extend(insert_rows(ts));
    rows
}

/// Summary rows of the filtered workload: per filter case and selectivity, the best QPS among
/// the settings tried whose recall@10 reaches 0.95 and 0.99.
fn filtered_rows(ts: &[TargetResult]) -> Vec<String> {
    let mut keys: Vec<(usize, String, f64)> = ts
        .iter()
        .flat_map(|t| t.filtered.iter().map(|f| (case_rank(&f.case), f.case.clone(), f.selectivity)))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.total_cmp(&b.2)));
    keys.dedup();
    let mut rows = Vec::new();
    for (_, case, sel) in keys {
        for min in [0.95, 0.99] {
            let label = format!("Filtered {}{}: QPS at recall@10 ≥ {min:.2}", percent(sel), case_suffix(&case));
            rows.push(row(&label, ts, Compare::Rate, |t| {
                filtered_at_recall(&t.filtered, &case, sel, min).map(|f| (f.qps, format!("{} ({})", qps(f.qps), f.settings)))
            }));
        }
    }
    rows
}

/// Order of the filter cases in the tables (saved runs without a case are uncorrelated).
fn case_rank(case: &str) -> usize {
    ["", "uncorrelated", "correlated", "anti-correlated", "labels"].iter().position(|c| *c == case).unwrap_or(5)
}

fn case_name(case: &str) -> &str {
    if case.is_empty() { "uncorrelated" } else { case }
}

/// `" (correlated)"` after a selectivity; nothing for the uncorrelated filter.
fn case_suffix(case: &str) -> String {
    match case_name(case) {
        "uncorrelated" => String::new(),
        c => format!(" ({c})"),
    }
}

/// The filtered point of filter case `case` and selectivity `sel` with the highest QPS whose
/// recall@10 reaches `min_recall`.
pub fn filtered_at_recall<'a>(points: &'a [FilteredPoint], case: &str, sel: f64, min_recall: f64) -> Option<&'a FilteredPoint> {
    points
        .iter()
        .filter(|f| f.case == case && f.selectivity == sel && f.qps.is_finite() && f.recall_at_10 + RECALL_EPSILON >= min_recall)
        .fold(None, |best: Option<&FilteredPoint>, f| match best {
            Some(b) if b.qps >= f.qps => Some(b),
            _ => Some(f),
        })
}

/// Summary rows about the insert phase.
fn insert_rows(ts: &[TargetResult]) -> Vec<String> {
    vec![
        row("Inserts/s (1 client)", ts, Compare::Rate, |t| {
            t.inserts
                .as_ref()
                .and_then(|i| num(i.single_rows_per_sec, qps))
        }),
        row("Inserts/s (concurrent)", ts, Compare::Rate, |t| {
            t.inserts.as_ref().and_then(|i| {
                let v = i.concurrent_rows_per_sec;
                v.is_finite()
                    .then(|| (v, format!("{} ({} clients)", qps(v), i.concurrent_clients)))
            })
        }),
        row("Recall@10 after inserts", ts, Compare::Recall, |t| {
            t.inserts
                .as_ref()
                .and_then(|i| num(i.recall_at_10_after, recall))
        }),
        row("Index size after inserts (MB)", ts, Compare::Size, |t| {
            t.inserts
                .as_ref()
                .and_then(|i| mb(Some(i.index_bytes_after)))
        }),
    ]
}

/// One summary row: `get` gives each target's figure as (number for the ratio, cell text).
fn row(
    label: &str,
    targets: &[TargetResult],
    cmp: Compare,
    get: impl Fn(&TargetResult) -> Option<(f64, String)>,
) -> String {
    let vals: Vec<Option<(f64, String)>> = targets.iter().map(get).collect();
    let mut cells = vec![label.to_string()];
    cells.extend(
        vals.iter()
            .map(|v| v.as_ref().map_or(DASH.to_string(), |(_, s)| s.clone())),
    );
    let first = vals.first().and_then(|v| v.as_ref().map(|(x, _)| *x));
    for other in vals.iter().skip(1) {
        cells.push(cmp.phrase(first, other.as_ref().map(|(x, _)| *x)));
    }
    table_row(&cells)
}

/// A finite value with its formatted text, or `None`.
fn num(v: f64, show: fn(f64) -> String) -> Option<(f64, String)> {
    v.is_finite().then(|| (v, show(v)))
}

fn secs(v: f64) -> Option<(f64, String)> {
    num(v, fmt_secs)
}

fn mb(bytes: Option<u64>) -> Option<(f64, String)> {
    bytes.map(|b| {
        let m = b as f64 / (1024.0 * 1024.0);
        (m, format!("{m:.1}"))
    })
}

/// `hnsw.ef_search` → `ef_search`: the sweep setting without its extension prefix.
fn short_setting(setting: &str) -> &str {
    setting.rsplit('.').next().unwrap_or(setting)
}

/// Per-target table of the search-setting sweep.
fn sweep_table(r: &Report, t: &TargetResult) -> String {
    let setting = short_setting(&r.config.sweep_setting);
    let mut s = format!("## Sweep: {}\n\n", t.name);
    if t.sweep.is_empty() {
        s.push_str("_No sweep points were measured._\n\n");
        return s;
    }
    let multi = format!("QPS ({} clients)", r.config.clients);
    let head = [
        setting,
        "recall@1",
        "recall@10",
        "recall@100",
        "QPS",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        &multi,
    ];
    s.push_str(&table_row(&head));
    s.push_str(&align_row(head.len(), 0));
    for p in &t.sweep {
        s.push_str(&table_row(&[
            p.value.to_string(),
            recall(p.recall_at_1),
            recall(p.recall_at_10),
            recall(p.recall_at_100),
            qps(p.qps),
            ms(p.p50_ms),
            ms(p.p95_ms),
            ms(p.p99_ms),
            qps(p.multi_qps),
        ]));
    }
    s.push('\n');
    s
}

/// Per-target table of filtered searches, one row per filter case, selectivity and setting.
fn filtered_table(t: &TargetResult) -> String {
    let mut s = format!("## Filtered search: {}\n\n", t.name);
    if t.filtered.is_empty() {
        s.push_str("_No filtered searches were measured._\n\n");
        return s;
    }
    let head = [
        "filter",
        "selectivity",
        "predicate",
        "settings",
        "recall@10",
        "mean rows",
        "short queries",
        "QPS",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "uses index",
    ];
    s.push_str(&table_row(&head));
    s.push_str(&align_row(head.len(), 4));
    for f in &t.filtered {
        s.push_str(&table_row(&[
            case_name(&f.case).to_string(),
            percent(f.selectivity),
            code(&f.predicate),
            code(&f.settings),
            recall(f.recall_at_10),
            finite(f.mean_rows, |v| format!("{v:.1}")),
            f.short_queries.to_string(),
            qps(f.qps),
            ms(f.p50_ms),
            ms(f.p95_ms),
            ms(f.p99_ms),
            if f.uses_index { "yes" } else { "**no**" }.to_string(),
        ]));
    }
    s.push('\n');
    s
}

/// One row per target that ran the insert phase; nothing when none did.
fn inserts_table(r: &Report) -> String {
    let with: Vec<(&str, &InsertResult)> = r
        .targets
        .iter()
        .filter_map(|t| t.inserts.as_ref().map(|i| (t.name.as_str(), i)))
        .collect();
    if with.is_empty() {
        return String::new();
    }
    let head = [
        "target",
        "rows (1 client)",
        "rows/s",
        "clients",
        "rows (concurrent)",
        "rows/s",
        "recall setting",
        "recall@10 after",
        "index MB after",
    ];
    let mut s = String::from("## Inserts\n\n");
    s.push_str(&table_row(&head));
    s.push_str(&align_row(head.len(), 1));
    for (name, i) in with {
        s.push_str(&table_row(&[
            name.to_string(),
            i.single_rows.to_string(),
            qps(i.single_rows_per_sec),
            i.concurrent_clients.to_string(),
            i.concurrent_rows.to_string(),
            qps(i.concurrent_rows_per_sec),
            code(&i.recall_setting),
            recall(i.recall_at_10_after),
            mb(Some(i.index_bytes_after)).map_or(DASH.to_string(), |(_, s)| s),
        ]));
    }
    s.push('\n');
    s
}

/// `| a | b |` with cell text made safe for a table.
fn table_row<S: AsRef<str>>(cells: &[S]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| escape_cell(c.as_ref())).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// The header separator: the first `left` columns left-aligned, the rest right-aligned.
fn align_row(columns: usize, left: usize) -> String {
    let cols: Vec<&str> = (0..columns)
        .map(|i| if i < left { ":---" } else { "---:" })
        .collect();
    format!("|{}|\n", cols.join("|"))
}

/// Escapes `|` (which would end the cell, even inside a code span) and flattens newlines.
fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Inline code, or "—" for an empty string.
fn code(s: &str) -> String {
    if s.trim().is_empty() {
        DASH.to_string()
    } else {
        format!("`{}`", s.replace('`', "'"))
    }
}

/// `show(v)` for a finite value, "—" otherwise.
fn finite(v: f64, show: impl Fn(f64) -> String) -> String {
    if v.is_finite() {
        show(v)
    } else {
        DASH.to_string()
    }
}

fn recall(v: f64) -> String {
    finite(v, |v| format!("{v:.3}"))
}

fn qps(v: f64) -> String {
    finite(v, |v| format!("{v:.0}"))
}

fn ms(v: f64) -> String {
    finite(v, |v| format!("{v:.2}"))
}

fn fmt_secs(v: f64) -> String {
    finite(v, |v| {
        if v.abs() < 10.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.1}")
        }
    })
}

/// A fraction as a percentage with at most two decimals and no trailing zeros: 0.01 → "1%".
fn percent(fraction: f64) -> String {
    finite(fraction, |f| {
        let p = format!("{:.2}", f * 100.0);
        let p = p.trim_end_matches('0').trim_end_matches('.');
        format!("{p}%")
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn point(value: u32, recall_at_10: f64, qps: f64) -> SweepPoint {
        SweepPoint {
            value,
            recall_at_1: recall_at_10,
            recall_at_10,
            recall_at_100: recall_at_10,
            qps,
            p50_ms: 1000.0 / qps.max(1.0),
            p95_ms: 2.0,
            p99_ms: 3.0,
            multi_qps: qps * 4.0,
        }
    }

    fn target(name: &str, load_s: f64, index_mb: u64, sweep: Vec<SweepPoint>) -> TargetResult {
        TargetResult {
            name: name.to_string(),
            extension: format!("{name} 0.1.0"),
            server_version: "PostgreSQL 17.2".to_string(),
            load: LoadResult {
                rows: 1000,
                seconds: load_s,
                table_bytes: 8 << 20,
            },
            build: BuildResult {
                seconds: 12.5,
                all_seconds: vec![12.5],
                index_bytes: index_mb << 20,
                backend_peak_rss_bytes: Some(100 << 20),
                backend_rss_growth_bytes: None,
                workers_peak_rss_bytes: Some(0),
            },
            sweep,
            filtered: vec![FilteredPoint {
                case: "uncorrelated".to_string(),
                selectivity: 0.005,
                predicate: "tag < 10 OR a || b = 'x'".to_string(),
                settings: "hnsw.ef_search=40".to_string(),
                recall_at_10: 0.9876,
                mean_rows: 9.5,
                short_queries: 3,
                qps: 321.4,
                p50_ms: 1.234,
                p95_ms: 2.5,
                p99_ms: 3.75,
                uses_index: true,
            }],
            inserts: None,
        }
    }

    /// Two targets: `quiver` loads twice as fast and has a 98 MB index vs 100 MB.
    pub(crate) fn sample_report() -> Report {
        let quiver = target(
            "quiver",
            5.0,
            98,
            vec![
                point(10, 0.85, 5000.0),
                point(20, 0.93, 3000.0),
                point(40, 0.96, 2000.0),
                point(80, 0.995, 900.0),
            ],
        );
        let mut pgvector = target(
            "pgvector",
            10.0,
            100,
            vec![point(10, 0.80, 4000.0), point(40, 0.95, 1000.0)],
        );
        pgvector.inserts = Some(InsertResult {
            single_rows: 500,
            single_rows_per_sec: 250.4,
            concurrent_clients: 4,
            concurrent_rows: 2000,
            concurrent_rows_per_sec: 900.0,
            recall_setting: "hnsw.ef_search=100".to_string(),
            recall_at_10_after: 0.97,
            index_bytes_after: 110 << 20,
        });
        Report {
            started: "2025-01-02T03:04:05Z".to_string(),
            dataset: DatasetInfo {
                name: "synthetic-1000x8".to_string(),
                source: "generated".to_string(),
                rows: 1000,
                dim: 8,
                queries: 50,
                metric: "l2".to_string(),
                ground_truth: "computed".to_string(),
            },
            config: RunConfig {
                index_method: "hnsw".to_string(),
                index_options: "m = 16, ef_construction = 64".to_string(),
                maintenance_work_mem: "1GB".to_string(),
                sweep_setting: "hnsw.ef_search".to_string(),
                sweep_values: vec![10, 20, 40, 80],
                rounds: 3,
                clients: 4,
                cpus: 8,
                parameter_format: "text".to_string(),
            },
            targets: vec![quiver, pgvector],
        }
    }

    /// The line of the rendered markdown that starts with `prefix`.
    fn line<'a>(md: &'a str, prefix: &str) -> &'a str {
        md.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{md}"))
    }

    #[test]
    fn qps_at_recall_picks_fastest_point_reaching_recall() {
        let sweep = [
            point(10, 0.85, 5000.0),
            point(20, 0.93, 3000.0),
            point(40, 0.96, 2000.0),
        ];
        assert_eq!(qps_at_recall(&sweep, 0.90).map(|p| p.value), Some(20));
        assert_eq!(qps_at_recall(&sweep, 0.95).map(|p| p.value), Some(40));
        assert_eq!(qps_at_recall(&sweep, 0.80).map(|p| p.value), Some(10));
        assert!(qps_at_recall(&sweep, 0.99).is_none());
    }

    #[test]
    fn qps_at_recall_edge_cases() {
        assert!(qps_at_recall(&[], 0.9).is_none());
        // Exactly at the threshold counts, even when 0.95 is not exact in binary.
        let exact = [point(1, 0.1 + 0.85, 10.0)];
        assert_eq!(qps_at_recall(&exact, 0.95).map(|p| p.value), Some(1));
        // Non-monotonic sweep: the faster of two qualifying points wins, NaN QPS is ignored.
        let odd = [
            point(1, 0.97, 100.0),
            point(2, 0.99, 300.0),
            point(3, 0.99, f64::NAN),
        ];
        assert_eq!(qps_at_recall(&odd, 0.95).map(|p| p.value), Some(2));
        // A tie keeps the earlier point; a NaN recall never qualifies.
        let tie = [
            point(5, 0.96, 100.0),
            point(6, 0.97, 100.0),
            point(7, f64::NAN, 1e9),
        ];
        assert_eq!(qps_at_recall(&tie, 0.95).map(|p| p.value), Some(5));
    }

    #[test]
    fn markdown_header_and_ratio_columns() {
        let md = markdown(&sample_report());
        assert!(md.starts_with("# ANN benchmark: synthetic-1000x8\n"));
        assert!(md.contains("1000 rows × 8 dims, metric `l2`, 50 queries"));
        assert!(md.contains(
            "`USING hnsw WITH (m = 16, ef_construction = 64)`, maintenance_work_mem = 1GB"
        ));
        assert!(md.contains("1 and 4 concurrent, on 8 CPUs"));
        assert!(md.contains("2025-01-02T03:04:05Z"));
        assert!(md.contains("|  | quiver | pgvector | quiver / pgvector |"));
        assert!(md.contains("_Ratio columns compare the first target"));
        assert_eq!(
            line(&md, "| Load time (s)"),
            "| Load time (s) | 5.00 | 10.0 | 2.00× faster |"
        );
        assert_eq!(
            line(&md, "| Index size (MB)"),
            "| Index size (MB) | 98.0 | 100.0 | 0.98× |"
        );
        assert_eq!(
            line(&md, "| Build time (s)"),
            "| Build time (s) | 12.5 | 12.5 | 1.00× |"
        );
    }

    #[test]
    fn markdown_missing_values_show_dash() {
        let md = markdown(&sample_report());
        assert_eq!(
            line(&md, "| Build backend RSS growth"),
            "| Build backend RSS growth (MB) | — | — | — |"
        );
        // Workers peak RSS 0 on both sides: values shown, ratio undefined.
        assert_eq!(
            line(&md, "| Build workers peak RSS"),
            "| Build workers peak RSS (MB) | 0.0 | 0.0 | — |"
        );
        assert_eq!(
            line(&md, "| Inserts/s (1 client)"),
            "| Inserts/s (1 client) | — | 250 | — |"
        );
        assert_eq!(
            line(&md, "| Inserts/s (concurrent)"),
            "| Inserts/s (concurrent) | — | 900 (4 clients) | — |"
        );
        assert_eq!(
            line(&md, "| Recall@10 after inserts"),
            "| Recall@10 after inserts | — | 0.970 | — |"
        );
    }

    #[test]
    fn markdown_qps_at_recall_rows() {
        let md = markdown(&sample_report());
        assert_eq!(
            line(&md, "| QPS at recall@10 ≥ 0.90"),
            "| QPS at recall@10 ≥ 0.90 (1 client) | 3000 (ef_search=20) | 1000 (ef_search=40) | 3.00× faster |"
        );
        assert_eq!(
            line(&md, "| QPS at recall@10 ≥ 0.95"),
            "| QPS at recall@10 ≥ 0.95 (1 client) | 2000 (ef_search=40) | 1000 (ef_search=40) | 2.00× faster |"
        );
        assert_eq!(
            line(&md, "| QPS at recall@10 ≥ 0.99"),
            "| QPS at recall@10 ≥ 0.99 (1 client) | 900 (ef_search=80) | — | — |"
        );
    }

    #[test]
    fn filtered_summary_rows() {
        let md = markdown(&sample_report());
        // both targets' 0.5% points reach 0.95 but not 0.99
        assert_eq!(
            line(&md, "| Filtered 0.5%: QPS at recall@10 ≥ 0.95"),
            "| Filtered 0.5%: QPS at recall@10 ≥ 0.95 | 321 (hnsw.ef_search=40) | 321 (hnsw.ef_search=40) | 1.00× |"
        );
        assert_eq!(line(&md, "| Filtered 0.5%: QPS at recall@10 ≥ 0.99"), "| Filtered 0.5%: QPS at recall@10 ≥ 0.99 | — | — | — |");
        // the best point at each recall among several settings
        let mut r = sample_report();
        let p = r.targets[1].filtered[0].clone();
        r.targets[1].filtered.push(FilteredPoint { qps: 100.0, recall_at_10: 0.999, settings: "hnsw.ef_search=200".into(), ..p.clone() });
        r.targets[0].filtered = vec![FilteredPoint { qps: 50.0, recall_at_10: 0.995, settings: "hnsw.ef_search=80".into(), ..p.clone() }];
        assert_eq!(filtered_at_recall(&r.targets[1].filtered, "uncorrelated", 0.005, 0.99).map(|f| f.qps), Some(100.0));
        assert_eq!(filtered_at_recall(&r.targets[1].filtered, "uncorrelated", 0.005, 0.95).map(|f| f.qps), Some(321.4));
        // another filter case at the same selectivity is its own row, after the uncorrelated
        r.targets[1].filtered.push(FilteredPoint { case: "anti-correlated".into(), qps: 7.0, recall_at_10: 1.0, ..p });
        assert_eq!(filtered_at_recall(&r.targets[1].filtered, "uncorrelated", 0.005, 0.99).map(|f| f.qps), Some(100.0));
        assert_eq!(filtered_at_recall(&r.targets[1].filtered, "anti-correlated", 0.005, 0.99).map(|f| f.qps), Some(7.0));
        let md = markdown(&r);
        assert_eq!(
            line(&md, "| Filtered 0.5%: QPS at recall@10 ≥ 0.99"),
            "| Filtered 0.5%: QPS at recall@10 ≥ 0.99 | 50 (hnsw.ef_search=80) | 100 (hnsw.ef_search=200) | 2.00× slower |"
        );
        assert_eq!(
            line(&md, "| Filtered 0.5% (anti-correlated): QPS at recall@10 ≥ 0.99"),
            "| Filtered 0.5% (anti-correlated): QPS at recall@10 ≥ 0.99 | — | 7 (hnsw.ef_search=40) | — |"
        );
        let plain = md.find("| Filtered 0.5%: QPS at recall@10 ≥ 0.99").unwrap_or(usize::MAX);
        let anti = md.find("| Filtered 0.5% (anti-correlated)").unwrap_or(0);
        assert!(plain < anti, "the uncorrelated rows come first");
    }

    #[test]
    fn markdown_sweep_and_filtered_tables() {
        let md = markdown(&sample_report());
        assert!(md.contains("## Sweep: quiver\n\n| ef_search | recall@1 | recall@10 | recall@100 | QPS | p50 ms | p95 ms | p99 ms | QPS (4 clients) |"));
        assert_eq!(
            line(&md, "| 20 |"),
            "| 20 | 0.930 | 0.930 | 0.930 | 3000 | 0.33 | 2.00 | 3.00 | 12000 |"
        );
        assert!(md.contains("## Filtered search: pgvector"));
        assert_eq!(
            line(&md, "| uncorrelated | 0.5% |"),
            "| uncorrelated | 0.5% | `tag < 10 OR a \\|\\| b = 'x'` | `hnsw.ef_search=40` | 0.988 | 9.5 | 3 | 321 | 1.23 | 2.50 | 3.75 | yes |"
        );
        assert_eq!(
            line(&md, "| pgvector | 500 |"),
            "| pgvector | 500 | 250 | 4 | 2000 | 900 | `hnsw.ef_search=100` | 0.970 | 110.0 |"
        );
    }

    #[test]
    fn ratio_phrasing() {
        assert_eq!(Compare::Time.phrase(Some(13.0), Some(10.0)), "1.30× slower");
        assert_eq!(
            Compare::Rate.phrase(Some(50.0), Some(100.0)),
            "2.00× slower"
        );
        assert_eq!(
            Compare::Rate.phrase(Some(1500.0), Some(100.0)),
            "15.0× faster"
        );
        assert_eq!(Compare::Time.phrase(Some(0.0), Some(1.0)), "—");
        assert_eq!(Compare::Size.phrase(None, Some(1.0)), "—");
        assert_eq!(Compare::Recall.phrase(Some(0.95), Some(0.97)), "-0.020");
    }

    #[test]
    fn single_target_and_empty_sections() {
        let mut r = sample_report();
        r.targets.truncate(1);
        r.targets[0].sweep.clear();
        r.targets[0].filtered.clear();
        let md = markdown(&r);
        assert!(md.contains("|  | quiver |\n|:---|---:|\n"));
        assert!(!md.contains(" / "));
        assert!(md.contains("_No sweep points were measured._"));
        assert!(md.contains("_No filtered searches were measured._"));
        assert!(!md.contains("## Inserts"));
        r.targets.clear();
        assert!(markdown(&r).contains("_No targets were measured._"));
    }
}
