//! `quiver-bench ann`: the ANN benchmark runner against real PostgreSQL databases.
//!
//! For every `--target` (a database where the `vector` type exists, from quiver or
//! any extension with the same SQL surface) it loads the dataset with binary COPY,
//! builds the index, sweeps a search setting measuring recall@1/10/100, single-client
//! QPS with latency percentiles and multi-client QPS, runs filtered searches (uncorrelated,
//! correlated, anti-correlated and label-array filters at 0.1% to 99% selectivity) and an
//! insert workload, then writes `<dataset>.md`,
//! `<dataset>.json` and `<dataset>-recall-qps.{png,svg}` under `--out`.

pub mod attrs;
pub mod cli;
pub mod dataset;
pub mod metric;
pub mod pg;
pub mod phases;
pub mod progress;
pub mod recall;
pub mod report;
pub mod result;
pub mod run;
pub mod stats;
pub mod truth;

use clap::error::ErrorKind;
use clap::Parser;

/// Entry point for the `ann` subcommand; `args` excludes the subcommand itself.
pub fn main(args: &[String]) -> Result<(), String> {
    let argv = std::iter::once("quiver-bench ann".to_string()).chain(args.iter().cloned());
    match cli::Options::try_parse_from(argv) {
        Ok(o) => run::run(&o.with_method_defaults()?),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{e}");
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
