//! `quiver-bench import`: bulk-import throughput. Writes a synthetic float32 matrix as
//! `.fvecs` and `.npy` files the server can read, then loads it into a fresh table, once
//! unindexed and once (fewer rows) with an hnsw index, by each path:
//! - `quiver.import_vectors` from the `.fvecs` and from the `.npy` file (server side);
//! - binary `COPY FROM STDIN` from this Rust client (the fastest client path);
//! - binary `COPY` from Python with psycopg and the pgvector adapter, as the README shows
//!   it, when a Python with those packages is given (`--python`).
//!
//! Rows per second of each, and the ratio of import_vectors to the psycopg COPY, go to
//! stdout and to `<out>/import.json` / `<out>/import.md`.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use serde::Serialize;

use crate::ann::pg::{db_err, server_info, BinVector, Target};

const USAGE: &str = "\
usage: quiver-bench import --target NAME=DSN [--rows N] [--indexed-rows N] [--dim D]
                           [--python PATH] [--dir DIR] [--out DIR]
  --rows N          rows for the unindexed table (default 1000000)
  --indexed-rows N  rows for the table with an hnsw index (default 50000; 0 skips it)
  --dim D           dimensions (default 128)
  --python PATH     a Python with psycopg, pgvector and numpy, for the psycopg COPY baseline
  --dir DIR         where the files are written (default /tmp/quiver-bench-import)
  --out DIR         results directory (default target/bench)
";

struct Options {
    target: Option<Target>,
    rows: usize,
    indexed_rows: usize,
    dim: usize,
    python: Option<String>,
    dir: PathBuf,
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        target: None,
        rows: 1_000_000,
        indexed_rows: 50_000,
        dim: 128,
        python: None,
        dir: PathBuf::from("/tmp/quiver-bench-import"),
        out: PathBuf::from("target/bench"),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
        let num = |s: String| s.parse::<usize>().map_err(|_| format!("{a}: `{s}` is not a number"));
        match a.as_str() {
            "--target" => o.target = Some(Target::parse(&val()?)?),
            "--rows" => o.rows = num(val()?)?,
            "--indexed-rows" => o.indexed_rows = num(val()?)?,
            "--dim" => o.dim = num(val()?)?,
            "--python" => o.python = Some(val()?),
            "--dir" => o.dir = PathBuf::from(val()?),
            "--out" => o.out = PathBuf::from(val()?),
            "--help" | "-h" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    if o.rows == 0 || o.dim == 0 || o.dim > 16000 {
        return Err("--rows must be positive and --dim within 1..16000".into());
    }
    Ok(o)
}

/// A deterministic matrix in [-1, 1).
fn matrix(rows: usize, dim: usize) -> Vec<f32> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..rows * dim)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn readable(path: &Path, mode: u32) -> Result<(), String> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_files(dir: &Path, tag: &str, data: &[f32], dim: usize) -> Result<(PathBuf, PathBuf), String> {
    let rows = data.len() / dim;
    let fvecs = dir.join(format!("{tag}.fvecs"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&fvecs).map_err(|e| e.to_string())?);
    for r in data.chunks_exact(dim) {
        f.write_all(&(dim as i32).to_le_bytes()).map_err(|e| e.to_string())?;
        for x in r {
            f.write_all(&x.to_le_bytes()).map_err(|e| e.to_string())?;
        }
    }
    f.flush().map_err(|e| e.to_string())?;
    let npy = dir.join(format!("{tag}.npy"));
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(&npy).map_err(|e| e.to_string())?);
    f.write_all(b"\x93NUMPY\x01\x00").map_err(|e| e.to_string())?;
    f.write_all(&(header.len() as u16).to_le_bytes()).map_err(|e| e.to_string())?;
    f.write_all(header.as_bytes()).map_err(|e| e.to_string())?;
    for x in data {
        f.write_all(&x.to_le_bytes()).map_err(|e| e.to_string())?;
    }
    f.flush().map_err(|e| e.to_string())?;
    readable(&fvecs, 0o644)?;
    readable(&npy, 0o644)?;
    Ok((fvecs, npy))
}

#[derive(Serialize)]
struct Measurement {
    table: String,
    path: String,
    rows: usize,
    seconds: f64,
    rows_per_second: f64,
}

const PSYCOPG_COPY: &str = r#"
import sys, time
import numpy as np, psycopg
from pgvector.psycopg import register_vector
dsn, path, table = sys.argv[1], sys.argv[2], sys.argv[3]
vectors = np.load(path)
with psycopg.connect(dsn, autocommit=True) as conn:
    register_vector(conn)
    t = time.perf_counter()
    with conn.cursor().copy(f"COPY {table} (id, v) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "vector"])
        for i, v in enumerate(vectors):
            copy.write_row((i, v))
    print(time.perf_counter() - t)
"#;

pub fn main(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let target = o.target.clone().ok_or_else(|| format!("--target is required\n{USAGE}"))?;
    let mut c = target.connect()?;
    let info = server_info(&mut c, &target.name)?;
    std::fs::create_dir_all(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
    readable(&o.dir, 0o755)?;
    let data = matrix(o.rows.max(o.indexed_rows), o.dim);
    eprintln!("import: writing {} x {} files to {}", o.rows, o.dim, o.dir.display());
    let big = write_files(&o.dir, "base", &data[..o.rows * o.dim], o.dim)?;
    let small = if o.indexed_rows > 0 { Some(write_files(&o.dir, "indexed", &data[..o.indexed_rows * o.dim], o.dim)?) } else { None };

    // one load before the measured ones, so that none of them pays for creating WAL segments
    eprintln!("import: warm-up load");
    c.batch_execute(&format!("DROP TABLE IF EXISTS bench_import; CREATE TABLE bench_import (id int8, v vector({}))", o.dim))
        .map_err(|e| db_err(&target.name, "creating the table", e))?;
    c.query_one("SELECT quiver.import_vectors('bench_import', 'v', $1)", &[&big.1.to_string_lossy().as_ref()])
        .map_err(|e| db_err(&target.name, "import_vectors", e))?;

    let mut results = Vec::new();
    let cases: Vec<(&str, usize, &(PathBuf, PathBuf))> =
        std::iter::once(("unindexed", o.rows, &big)).chain(small.as_ref().map(|s| ("hnsw", o.indexed_rows, s))).collect();
    for (table_kind, rows, files) in cases {
        let paths = ["import_vectors .fvecs", "import_vectors .npy", "binary COPY (Rust client)", "binary COPY (psycopg)"];
        // the psycopg path needs a Python to run it
        for path in paths.into_iter().take(if o.python.is_some() { 4 } else { 3 }) {
            let ddl = format!(
                "DROP TABLE IF EXISTS bench_import; CREATE TABLE bench_import (id int8, v vector({})){}; CHECKPOINT",
                o.dim,
                if table_kind == "hnsw" { "; CREATE INDEX ON bench_import USING hnsw (v vector_l2_ops)" } else { "" }
            );
            c.batch_execute(&ddl).map_err(|e| db_err(&target.name, "creating the table", e))?;
            let t = Instant::now();
            let seconds = match path {
                "import_vectors .fvecs" | "import_vectors .npy" => {
                    let f = if path.ends_with("fvecs") { &files.0 } else { &files.1 };
                    c.query_one("SELECT quiver.import_vectors('bench_import', 'v', $1, id_column => 'id')", &[&f.to_string_lossy().as_ref()])
                        .map_err(|e| db_err(&target.name, "import_vectors", e))?;
                    t.elapsed().as_secs_f64()
                }
                "binary COPY (Rust client)" => {
                    let sink = c
                        .copy_in("COPY bench_import (id, v) FROM STDIN (FORMAT binary)")
                        .map_err(|e| db_err(&target.name, "starting COPY", e))?;
                    let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, info.vector_type.clone()]);
                    for (i, r) in data[..rows * o.dim].chunks_exact(o.dim).enumerate() {
                        w.write(&[&(i as i64), &BinVector(r)]).map_err(|e| db_err(&target.name, "COPY", e))?;
                    }
                    w.finish().map_err(|e| db_err(&target.name, "finishing COPY", e))?;
                    t.elapsed().as_secs_f64()
                }
                _ => {
                    let python = o.python.as_deref().unwrap_or("python3");
                    let out = Command::new(python)
                        .args(["-c", PSYCOPG_COPY, &target.dsn, &files.1.to_string_lossy(), "bench_import"])
                        .output()
                        .map_err(|e| format!("running {python}: {e}"))?;
                    if !out.status.success() {
                        return Err(format!("psycopg COPY failed: {}", String::from_utf8_lossy(&out.stderr)));
                    }
                    let s = String::from_utf8_lossy(&out.stdout);
                    s.trim().parse::<f64>().map_err(|_| format!("psycopg COPY printed `{s}`"))?
                }
            };
            let n: i64 = c.query_one("SELECT count(*) FROM bench_import", &[]).map_err(|e| db_err(&target.name, "counting", e))?.get(0);
            if n as usize != rows {
                return Err(format!("{path}: the table holds {n} rows, expected {rows}"));
            }
            let m = Measurement { table: table_kind.into(), path: path.into(), rows, seconds, rows_per_second: rows as f64 / seconds };
            eprintln!("import: {table_kind:9} {path:26} {rows:>8} rows  {seconds:8.2} s  {:>10.0} rows/s", m.rows_per_second);
            results.push(m);
        }
    }
    c.batch_execute("DROP TABLE IF EXISTS bench_import").map_err(|e| db_err(&target.name, "dropping the table", e))?;
    let md = report(&results, &info.server_version, o.dim);
    print!("{md}");
    std::fs::create_dir_all(&o.out).map_err(|e| e.to_string())?;
    std::fs::write(o.out.join("import.md"), &md).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(o.out.join("import.json"), json).map_err(|e| e.to_string())?;
    for f in [&big.0, &big.1].into_iter().chain(small.iter().flat_map(|s| [&s.0, &s.1])) {
        let _ = std::fs::remove_file(f);
    }
    Ok(())
}

fn report(results: &[Measurement], version: &str, dim: usize) -> String {
    let mut md = format!(
        "### Bulk import ({dim} dimensions, PostgreSQL {version})\n\n| table | path | rows | seconds | rows/s | vs psycopg COPY |\n| --- | --- | --- | --- | --- | --- |\n"
    );
    for m in results {
        let base = results.iter().find(|b| b.table == m.table && b.path == "binary COPY (psycopg)");
        let ratio = base.map_or("–".to_string(), |b| format!("{:.2}×", m.rows_per_second / b.rows_per_second));
        md.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.0} | {ratio} |\n",
            m.table, m.path, m.rows, m.seconds, m.rows_per_second
        ));
    }
    md
}
