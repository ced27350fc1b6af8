//! Everything one `quiver-bench ann` run measures, serialised as the run's JSON file and
//! rendered as its markdown table and recall-vs-QPS plot.
//!
//! Times are seconds, sizes bytes, latencies milliseconds. A figure that could not be
//! measured (e.g. memory when the server's /proc is not readable) is `None`/`null`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// UTC time the run started, RFC 3339.
    pub started: String,
    pub dataset: DatasetInfo,
    pub config: RunConfig,
    /// One entry per `--target`, in command-line order; the first is the reference for ratios.
    pub targets: Vec<TargetResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// e.g. `docs-minilm-30k` or `synthetic-100000x128`.
    pub name: String,
    /// Directory the files came from, or the generator's parameters.
    pub source: String,
    pub rows: usize,
    pub dim: usize,
    pub queries: usize,
    /// `l2`, `ip` or `cosine`.
    pub metric: String,
    /// Where the ground truth came from: `file:<name>` or `computed`.
    pub ground_truth: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunConfig {
    /// `CREATE INDEX ... USING <method>` and its WITH options, as run.
    pub index_method: String,
    pub index_options: String,
    pub maintenance_work_mem: String,
    /// The search setting swept (e.g. `hnsw.ef_search`) and its values.
    pub sweep_setting: String,
    pub sweep_values: Vec<u32>,
    /// Passes per sweep value; each figure is the median over passes.
    pub rounds: usize,
    /// Concurrent connections of the multi-client measurement.
    pub clients: usize,
    /// Logical CPUs of the machine running the benchmark.
    pub cpus: usize,
    /// How query vectors are sent (`text` parameters).
    pub parameter_format: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetResult {
    /// Label from `--target NAME=DSN`, e.g. `quiver` or `pgvector`.
    pub name: String,
    /// Extension providing the `vector` type there and its version, e.g. `quiver 0.1.0`.
    pub extension: String,
    pub server_version: String,
    pub load: LoadResult,
    pub build: BuildResult,
    /// One point per sweep value, ascending.
    pub sweep: Vec<SweepPoint>,
    /// One point per filter selectivity, ascending.
    pub filtered: Vec<FilteredPoint>,
    pub inserts: Option<InsertResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadResult {
    pub rows: usize,
    pub seconds: f64,
    /// Table (heap) size after the load, before any index.
    pub table_bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BuildResult {
    /// The median of `all_seconds`.
    pub seconds: f64,
    /// Every build's time, in order (one unless `--build-rounds` asked for more).
    #[serde(default)]
    pub all_seconds: Vec<f64>,
    /// `pg_relation_size` of the index (main fork).
    pub index_bytes: u64,
    /// Peak resident set (VmHWM) of the backend that ran CREATE INDEX.
    pub backend_peak_rss_bytes: Option<u64>,
    /// Growth of that peak during the build (peak after minus resident before).
    pub backend_rss_growth_bytes: Option<u64>,
    /// Sum of the last sampled peak RSS of parallel workers serving the build (0 if none ran).
    pub workers_peak_rss_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Value of the swept setting (e.g. ef_search).
    pub value: u32,
    /// Recall of `LIMIT 1`/`LIMIT 10` (from the LIMIT 10 pass) and of a `LIMIT 100` pass.
    pub recall_at_1: f64,
    pub recall_at_10: f64,
    pub recall_at_100: f64,
    /// Single client, `LIMIT 10`: queries per second (median over rounds) and latency percentiles.
    pub qps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// `RunConfig::clients` concurrent connections, `LIMIT 10`.
    pub multi_qps: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FilteredPoint {
    /// The filter case: `uncorrelated` (also runs saved before cases existed), `correlated`,
    /// `anti-correlated` or `labels`.
    #[serde(default)]
    pub case: String,
    /// Fraction of rows the filter keeps (0.001 to 0.99).
    pub selectivity: f64,
    /// The SQL predicate, e.g. `tag < 10`.
    pub predicate: String,
    /// Settings used (e.g. `hnsw.ef_search=40, hnsw.iterative_scan=relaxed_order`).
    pub settings: String,
    pub recall_at_10: f64,
    /// Average rows returned per query (10 unless the scan came up short).
    pub mean_rows: f64,
    /// Queries that returned fewer than 10 rows.
    #[serde(default)]
    pub short_queries: usize,
    pub qps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Whether EXPLAIN showed the vector index in the plan.
    pub uses_index: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InsertResult {
    /// Rows inserted one statement (autocommit) at a time from one connection.
    pub single_rows: usize,
    pub single_rows_per_sec: f64,
    /// Rows inserted the same way from `concurrent_clients` connections at once.
    pub concurrent_clients: usize,
    pub concurrent_rows: usize,
    pub concurrent_rows_per_sec: f64,
    /// Recall@10 at `recall_setting` over all rows (base + inserted), against exact ground truth.
    pub recall_setting: String,
    pub recall_at_10_after: f64,
    pub index_bytes_after: u64,
}
