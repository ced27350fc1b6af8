//! `quiver-bench`: quiver's benchmark runner.
//!
//! ```text
//! quiver-bench [SUBCOMMAND] [OPTIONS]
//!
//! subcommands:
//!   kernels   exact-scan throughput of the distance kernels (default)
//!   ann       the ANN benchmark against PostgreSQL (`ann --help`)
//!   report    re-render a saved run's markdown and plots from its JSON
//!   import    bulk-import throughput: import_vectors vs binary COPY (`import --help`)
//!   core      quiver-core's HNSW in process: build time, distances, recall / QPS
//!   help      this text
//! ```
//!
//! Each subcommand parses its own options (`kernels` by hand, `ann` with clap).

mod ann;
mod core_hnsw;
mod import;
mod kernels;

use std::process::ExitCode;

const USAGE: &str = "\
usage: quiver-bench [SUBCOMMAND] [OPTIONS]

subcommands:
  kernels   exact-scan throughput of the distance kernels (default)
  ann       recall / QPS / build / insert benchmark against PostgreSQL (see `ann --help`)
  report FILE.json [DIR]  re-render a saved run's markdown table and plots
  import    bulk-import throughput against PostgreSQL (see `import --help`)
  core      in-process HNSW (no PostgreSQL): [--dataset DIR | --rows N --dim D]
            [--m 16] [--ef-construction 64] [--ef 10,20,40,80,160] [--level-seed N]
            [--search f32|f16|i8]  (distances of the build's graph walk)
  help      show this text

kernels options:
  --out PATH       JSON output path (default target/bench/kernels.json)
  --dims LIST      comma-separated dimensions (default 128,384,768,1536,3072)
  --n N            vectors in the scanned working set (default 10000)
  --millis MS      minimum measuring time per kernel and dimension (default 100)
";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let sub = match args.first() {
        Some(a) if !a.starts_with('-') => args.remove(0),
        _ => "kernels".to_string(),
    };
    let result = match sub.as_str() {
        "kernels" => kernels::main(&args),
        "ann" => ann::main(&args),
        "report" => ann::run::rerender(&args),
        "core" => core_hnsw::main(&args),
        "import" => import::main(&args),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown subcommand `{other}`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quiver-bench: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
