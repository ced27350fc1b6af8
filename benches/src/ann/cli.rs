//! Command-line options of `quiver-bench ann`.

use std::path::PathBuf;

use clap::Parser;

/// Runs the ANN benchmark against one or more PostgreSQL databases and writes a
/// markdown table, a JSON file with every figure and a recall-vs-QPS plot.
#[derive(Parser, Debug, Clone)]
#[command(name = "quiver-bench ann")]
pub struct Options {
    /// NAME=CONNECTION-STRING of a database where the `vector` type exists (repeat for a
    /// side-by-side run; the first target is the reference for ratios).
    #[arg(long = "target", value_name = "NAME=DSN",
          default_value = "quiver=host=127.0.0.1 port=55215 user=postgres dbname=bench_quiver")]
    pub targets: Vec<String>,

    /// Dataset directory (TEXMEX .fvecs/.ivecs or .npy: *base, *query, optional
    /// *groundtruth); without it a seeded synthetic set is generated.
    #[arg(long)]
    pub dataset: Option<PathBuf>,

    /// Base rows: the synthetic set's size, or a limit on a dataset's base vectors.
    #[arg(long)]
    pub rows: Option<usize>,

    /// Query vectors used (synthetic: generated).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,

    /// Synthetic: dimensions.
    #[arg(long, default_value_t = 128)]
    pub dim: usize,

    /// Synthetic: number of clusters.
    #[arg(long, default_value_t = 100)]
    pub clusters: usize,

    /// Synthetic: intrinsic dimension of each cluster.
    #[arg(long, default_value_t = 12)]
    pub rank: usize,

    /// Synthetic: isotropic noise around each cluster's subspace.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,

    /// Seed for generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Distance: l2, ip or cosine.
    #[arg(long, default_value = "l2")]
    pub metric: String,

    /// Index access method: hnsw or ivfflat have defaults for everything below; another
    /// method (a peer's) needs --with, --sweep-setting, --sweep and the filter/insert settings.
    #[arg(long, default_value = "hnsw")]
    pub method: String,

    /// Index options (the WITH clause; hnsw: `m = 16, ef_construction = 64`, ivfflat:
    /// `lists = 100`).
    #[arg(long = "with")]
    pub with: Option<String>,

    /// Builds per target (each after DROP INDEX and CHECKPOINT); the report gives the median
    /// time, and every build's time in the JSON. The first build after loading also sets the
    /// table's hint bits.
    #[arg(long, default_value_t = 1)]
    pub build_rounds: usize,

    /// maintenance_work_mem for the build (the same for every target).
    #[arg(long, default_value = "1GB")]
    pub maintenance_work_mem: String,

    /// The search setting swept (hnsw: hnsw.ef_search, ivfflat: ivfflat.probes).
    #[arg(long)]
    pub sweep_setting: Option<String>,

    /// Values of the swept setting (hnsw: 10,20,40,80,120,200,400; ivfflat: 1,2,4,8,16,32,64).
    #[arg(long, value_delimiter = ',')]
    pub sweep: Vec<u32>,

    /// Passes per sweep value (targets alternate within a round; figures are medians).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,

    /// Concurrent connections for the multi-client and concurrent-insert figures
    /// (default: the number of CPUs).
    #[arg(long)]
    pub clients: Option<usize>,

    /// Settings for the filtered workload (repeatable NAME=VALUE; default: the method's
    /// search setting at a middle value with its iterative scan on).
    #[arg(long = "filter-setting", value_name = "NAME=VALUE")]
    pub filter_settings: Vec<String>,

    /// Values of the swept setting tried in the filtered workload, on top of its settings
    /// (default: none, the filter settings alone).
    #[arg(long = "filter-sweep", value_delimiter = ',')]
    pub filter_sweep: Vec<u32>,

    /// Filter cases of the filtered workload: uncorrelated (`tag < t`), correlated and
    /// anti-correlated (`side >= 1000 - t`, asked by the queries at the kept end of the data or
    /// at the other end), labels (`labels @> ARRAY[t]`).
    #[arg(long = "filter-cases", value_delimiter = ',', default_value = "uncorrelated,correlated,anti-correlated,labels")]
    pub filter_cases: Vec<String>,

    /// Queries of the filtered workload (0 skips it).
    #[arg(long, default_value_t = 200)]
    pub filter_queries: usize,

    /// For the filtered workload, rebuild quiver's hnsw index with the filter column inside
    /// it (`USING hnsw (v ..., tag)`), as quiver users would; peers keep their single-column
    /// index (pgvector cannot have another). `--single-column-filter` keeps quiver's too.
    #[arg(long = "single-column-filter")]
    pub single_column_filter: bool,

    /// Rows inserted in the insert workload (0 skips it); a quarter from one
    /// connection, the rest from --clients connections.
    #[arg(long, default_value_t = 2000)]
    pub inserts: usize,

    /// Setting under which recall is measured after the inserts (hnsw: hnsw.ef_search=40,
    /// ivfflat: ivfflat.probes=8).
    #[arg(long, value_name = "NAME=VALUE")]
    pub after_insert_setting: Option<String>,

    /// Output directory.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
}

/// What `--method` implies for the options left out.
struct MethodDefaults {
    with: &'static str,
    sweep_setting: &'static str,
    sweep: &'static [u32],
    filter: &'static [&'static str],
    after_insert: &'static str,
}

fn method_defaults(method: &str) -> Option<MethodDefaults> {
    match method {
        "hnsw" => Some(MethodDefaults {
            with: "m = 16, ef_construction = 64",
            sweep_setting: "hnsw.ef_search",
            sweep: &[10, 20, 40, 80, 120, 200, 400],
            filter: &["hnsw.ef_search=40", "hnsw.iterative_scan=relaxed_order"],
            after_insert: "hnsw.ef_search=40",
        }),
        "ivfflat" => Some(MethodDefaults {
            with: "lists = 100",
            sweep_setting: "ivfflat.probes",
            sweep: &[1, 2, 4, 8, 16, 32, 64],
            filter: &["ivfflat.probes=8", "ivfflat.iterative_scan=relaxed_order"],
            after_insert: "ivfflat.probes=8",
        }),
        _ => None,
    }
}

impl Options {
    /// Fill the options left out from `--method`'s defaults; for a method without defaults,
    /// say which options it needs.
    pub fn with_method_defaults(mut self) -> Result<Options, String> {
        let d = method_defaults(&self.method);
        let need = |what: &str| format!("--method {} has no defaults: give {what}", self.method);
        if self.with.is_none() {
            self.with = Some(d.as_ref().ok_or_else(|| need("--with"))?.with.to_string());
        }
        if self.sweep_setting.is_none() {
            self.sweep_setting = Some(d.as_ref().ok_or_else(|| need("--sweep-setting"))?.sweep_setting.to_string());
        }
        if self.sweep.is_empty() {
            self.sweep = d.as_ref().ok_or_else(|| need("--sweep"))?.sweep.to_vec();
        }
        if self.filter_settings.is_empty() && self.filter_queries > 0 {
            self.filter_settings = d.as_ref().ok_or_else(|| need("--filter-setting"))?.filter.iter().map(|s| s.to_string()).collect();
        }
        if self.after_insert_setting.is_none() && self.inserts > 0 {
            self.after_insert_setting = Some(d.as_ref().ok_or_else(|| need("--after-insert-setting"))?.after_insert.to_string());
        }
        Ok(self)
    }

    pub fn with_clause(&self) -> String {
        self.with.clone().unwrap_or_default()
    }

    pub fn swept(&self) -> &str {
        self.sweep_setting.as_deref().unwrap_or("")
    }

    pub fn after_insert(&self) -> &str {
        self.after_insert_setting.as_deref().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        let argv = std::iter::once("quiver-bench ann").chain(args.iter().copied());
        Options::try_parse_from(argv).map_err(|e| e.to_string())?.with_method_defaults()
    }

    #[test]
    fn hnsw_defaults() {
        let o = parse(&[]).unwrap();
        assert_eq!(o.with_clause(), "m = 16, ef_construction = 64");
        assert_eq!(o.swept(), "hnsw.ef_search");
        assert_eq!(o.sweep, vec![10, 20, 40, 80, 120, 200, 400]);
        assert_eq!(o.after_insert(), "hnsw.ef_search=40");
    }

    #[test]
    fn ivfflat_defaults_and_overrides() {
        let o = parse(&["--method", "ivfflat", "--with", "lists = 1000", "--sweep", "1,10"]).unwrap();
        assert_eq!(o.with_clause(), "lists = 1000");
        assert_eq!(o.swept(), "ivfflat.probes");
        assert_eq!(o.sweep, vec![1, 10]);
        assert_eq!(o.filter_settings, vec!["ivfflat.probes=8", "ivfflat.iterative_scan=relaxed_order"]);
    }

    #[test]
    fn other_methods_need_explicit_settings() {
        let e = parse(&["--method", "diskann"]).unwrap_err();
        assert!(e.contains("--method diskann has no defaults: give --with"), "{e}");
        let e = parse(&["--method", "diskann", "--with", "", "--sweep-setting", "x.y", "--sweep", "1"]).unwrap_err();
        assert!(e.contains("--filter-setting"), "{e}");
    }
}
