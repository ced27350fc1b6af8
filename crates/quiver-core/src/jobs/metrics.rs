//! Per-index counters kept in shared memory, and their Prometheus text exposition.
//!
//! [`IndexCounters`] is plain old data (it lives in a fixed array in PostgreSQL's shared
//! memory); [`render`] writes the text format 0.0.4 that Prometheus and postgres_exporter read.

use std::fmt::Write;

/// Upper bounds (seconds) of the search latency histogram's buckets (+Inf is implied).
pub const LATENCY_BOUNDS: [f64; 14] = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0];

/// Counters of one index. All durations are in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct IndexCounters {
    pub database: u32,
    pub index: u32,
    pub searches: u64,
    pub inserts: u64,
    /// Index entries scored by searches (distance computations).
    pub rows_scanned: u64,
    /// Searches per latency bucket; the last one is +Inf.
    pub latency_buckets: [u64; LATENCY_BOUNDS.len() + 1],
    pub latency_sum_us: u64,
    pub builds: u64,
    pub build_us: u64,
    pub maintenance_runs: u64,
    pub maintenance_us: u64,
}

impl IndexCounters {
    pub fn new(database: u32, index: u32) -> Self {
        IndexCounters { database, index, ..Default::default() }
    }

    /// Records one search that took `us` microseconds and scored `scanned` entries.
    pub fn observe_search(&mut self, us: u64, scanned: u64) {
        self.searches += 1;
        self.rows_scanned += scanned;
        self.latency_sum_us += us;
        let secs = us as f64 / 1e6;
        let b = LATENCY_BOUNDS.iter().position(|&ub| secs <= ub).unwrap_or(LATENCY_BOUNDS.len());
        self.latency_buckets[b] += 1;
    }
}

/// How an index is named in the metrics' labels.
#[derive(Clone, Debug)]
pub struct Labels {
    pub database: String,
    pub schema: String,
    pub index: String,
    pub table: String,
    pub method: String,
}

/// A label value in the text format: backslash, double quote and newline escaped.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn float(v: f64) -> String {
    if v == f64::INFINITY {
        "+Inf".into()
    } else {
        format!("{v}")
    }
}

/// The exposition of `indexes` (each with its labels) plus the process-wide `gauges`
/// (name, help, value), in Prometheus text format.
pub fn render(indexes: &[(IndexCounters, Labels)], gauges: &[(&str, &str, f64)]) -> String {
    let mut out = String::new();
    let label = |l: &Labels| {
        format!(
            "database=\"{}\",schema=\"{}\",index=\"{}\",table=\"{}\",method=\"{}\"",
            escape(&l.database),
            escape(&l.schema),
            escape(&l.index),
            escape(&l.table),
            escape(&l.method)
        )
    };
    let counters: [(&str, &str, fn(&IndexCounters) -> f64); 7] = [
        ("quiver_index_searches_total", "Index scans (searches) started on the index.", |c| c.searches as f64),
        ("quiver_index_inserts_total", "Rows inserted into the index after its build.", |c| c.inserts as f64),
        ("quiver_index_rows_scanned_total", "Index entries scored by searches.", |c| c.rows_scanned as f64),
        ("quiver_index_builds_total", "Builds of the index (CREATE INDEX, REINDEX, background builds).", |c| c.builds as f64),
        ("quiver_index_build_seconds_total", "Time spent building the index.", |c| c.build_us as f64 / 1e6),
        ("quiver_index_maintenance_runs_total", "Maintenance runs (VACUUM passes) over the index.", |c| c.maintenance_runs as f64),
        ("quiver_index_maintenance_seconds_total", "Time spent maintaining the index.", |c| c.maintenance_us as f64 / 1e6),
    ];
    for (name, help, get) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (c, l) in indexes {
            let _ = writeln!(out, "{name}{{{}}} {}", label(l), float(get(c)));
        }
    }
    let h = "quiver_index_search_duration_seconds";
    let _ = writeln!(out, "# HELP {h} Duration of index scans, from the first row asked for to the end of the scan.\n# TYPE {h} histogram");
    for (c, l) in indexes {
        let base = label(l);
        let mut cumulative = 0u64;
        for (i, n) in c.latency_buckets.iter().enumerate() {
            cumulative += n;
            let le = LATENCY_BOUNDS.get(i).copied().unwrap_or(f64::INFINITY);
            let _ = writeln!(out, "{h}_bucket{{{base},le=\"{}\"}} {cumulative}", float(le));
        }
        let _ = writeln!(out, "{h}_sum{{{base}}} {}", float(c.latency_sum_us as f64 / 1e6));
        let _ = writeln!(out, "{h}_count{{{base}}} {}", c.searches);
    }
    for (name, help, v) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", float(*v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(i: &str) -> Labels {
        Labels { database: "db".into(), schema: "public".into(), index: i.into(), table: "t".into(), method: "hnsw".into() }
    }

    #[test]
    fn searches_fall_in_the_first_bucket_that_holds_them() {
        let mut c = IndexCounters::new(1, 2);
        c.observe_search(100, 10); // 0.1 ms
        c.observe_search(1_000, 20); // exactly 1 ms: le="0.001"
        c.observe_search(60_000_000, 5); // a minute: +Inf
        assert_eq!(c.searches, 3);
        assert_eq!(c.rows_scanned, 35);
        assert_eq!(c.latency_buckets[0], 1);
        assert_eq!(c.latency_buckets[2], 1);
        assert_eq!(c.latency_buckets[LATENCY_BOUNDS.len()], 1);
        assert_eq!(c.latency_sum_us, 60_001_100);
    }

    #[test]
    fn exposition_has_cumulative_buckets_and_escaped_labels() {
        let mut c = IndexCounters::new(1, 2);
        c.observe_search(300, 7);
        c.observe_search(300, 7);
        c.inserts = 5;
        let text = render(&[(c, labels("we\"ird\\name\n"))], &[("quiver_jobs_running", "Jobs running.", 2.0)]);
        assert!(text.contains("index=\"we\\\"ird\\\\name\\n\""), "{text}");
        assert!(text.contains("quiver_index_search_duration_seconds_bucket{database=\"db\",schema=\"public\",index=\"we\\\"ird\\\\name\\n\",table=\"t\",method=\"hnsw\",le=\"0.0002\"} 0"));
        assert!(text.contains(",le=\"0.0005\"} 2"));
        assert!(text.contains(",le=\"+Inf\"} 2"));
        assert!(text.contains("quiver_index_inserts_total{"));
        assert!(text.lines().any(|l| l.starts_with("quiver_index_inserts_total{") && l.ends_with(" 5")));
        assert!(text.contains("# TYPE quiver_jobs_running gauge\nquiver_jobs_running 2\n"));
        // every sample line is `name{labels} value` or `name value`
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let v = l.rsplit(' ').next().unwrap();
            assert!(v == "+Inf" || v.parse::<f64>().is_ok(), "{l}");
        }
    }
}
