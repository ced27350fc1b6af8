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

    /// Index access method.
    #[arg(long, default_value = "hnsw")]
    pub method: String,

    /// Index options (the WITH clause).
    #[arg(long = "with", default_value = "m = 16, ef_construction = 64")]
    pub with: String,

    /// maintenance_work_mem for the build (the same for every target).
    #[arg(long, default_value = "1GB")]
    pub maintenance_work_mem: String,

    /// The search setting swept.
    #[arg(long, default_value = "hnsw.ef_search")]
    pub sweep_setting: String,

    /// Values of the swept setting.
    #[arg(long, value_delimiter = ',', default_value = "10,20,40,80,120,200,400")]
    pub sweep: Vec<u32>,

    /// Passes per sweep value (targets alternate within a round; figures are medians).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,

    /// Concurrent connections for the multi-client and concurrent-insert figures
    /// (default: the number of CPUs).
    #[arg(long)]
    pub clients: Option<usize>,

    /// Settings for the filtered workload (repeatable NAME=VALUE).
    #[arg(long = "filter-setting", value_name = "NAME=VALUE",
          default_values_t = ["hnsw.ef_search=40".to_string(), "hnsw.iterative_scan=relaxed_order".to_string()])]
    pub filter_settings: Vec<String>,

    /// Queries of the filtered workload (0 skips it).
    #[arg(long, default_value_t = 200)]
    pub filter_queries: usize,

    /// Rows inserted in the insert workload (0 skips it); a quarter from one
    /// connection, the rest from --clients connections.
    #[arg(long, default_value_t = 2000)]
    pub inserts: usize,

    /// Setting under which recall is measured after the inserts.
    #[arg(long, value_name = "NAME=VALUE", default_value = "hnsw.ef_search=40")]
    pub after_insert_setting: String,

    /// Output directory.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
}
