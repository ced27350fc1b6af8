//! Queries: one pass over the query set from one connection (results, latencies) or
//! from several connections at once (throughput).

use std::time::Instant;

use indicatif::ProgressBar;
use postgres::Client;

use crate::ann::pg::db_err;

/// Queries run before a timed pass and not measured.
pub const WARMUP: usize = 50;

/// A setting applied with `SET name = 'value'` on a connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub name: String,
    pub value: String,
}

impl Setting {
    pub fn new(name: &str, value: impl ToString) -> Self {
        Setting { name: name.to_string(), value: value.to_string() }
    }

    /// `name=value` from the command line; names are GUC names (letters, digits, `_`, `.`).
    pub fn parse(s: &str) -> Result<Setting, String> {
        let (n, v) = s.split_once('=').ok_or_else(|| format!("setting `{s}`: expected NAME=VALUE"))?;
        let n = n.trim();
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return Err(format!("setting `{s}`: `{n}` is not a valid setting name"));
        }
        Ok(Setting::new(n, v.trim()))
    }

    pub fn sql(&self) -> String {
        format!("SET {} = '{}'", self.name, self.value.replace('\'', "''"))
    }
}

pub fn describe(settings: &[Setting]) -> String {
    settings.iter().map(|s| format!("{}={}", s.name, s.value)).collect::<Vec<_>>().join(", ")
}

pub fn apply(c: &mut Client, target: &str, settings: &[Setting]) -> Result<(), String> {
    for s in settings {
        c.batch_execute(&s.sql()).map_err(|e| db_err(target, &s.sql(), e))?;
    }
    Ok(())
}

/// One timed pass: every query once, in order.
pub struct Pass {
    pub results: Vec<Vec<i64>>,
    pub latencies_ms: Vec<f64>,
    pub seconds: f64,
}

impl Pass {
    pub fn qps(&self) -> f64 {
        self.results.len() as f64 / self.seconds.max(1e-9)
    }
}

/// Throughput and latency over repeated passes: median QPS, and p50/p95/p99 latency
/// (ms) over every query of every pass.
pub struct Timing {
    pub qps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

impl Timing {
    pub fn of(passes: &[Pass]) -> Timing {
        use crate::ann::stats::{median, percentile};
        let lat: Vec<f64> = passes.iter().flat_map(|p| p.latencies_ms.iter().copied()).collect();
        Timing {
            qps: median(&passes.iter().map(Pass::qps).collect::<Vec<_>>()),
            p50_ms: percentile(&lat, 50.0),
            p95_ms: percentile(&lat, 95.0),
            p99_ms: percentile(&lat, 99.0),
        }
    }
}

/// Runs `sql` (one text parameter: the query vector) for every query from one connection.
pub fn single(c: &mut Client, target: &str, sql: &str, texts: &[String], pb: &ProgressBar) -> Result<Pass, String> {
    let stmt = c.prepare(sql).map_err(|e| db_err(target, sql, e))?;
    for q in texts.iter().take(WARMUP) {
        c.query(&stmt, &[q]).map_err(|e| db_err(target, sql, e))?;
    }
    let mut results = Vec::with_capacity(texts.len());
    let mut latencies_ms = Vec::with_capacity(texts.len());
    let start = Instant::now();
    for q in texts {
        let t = Instant::now();
        let rows = c.query(&stmt, &[q]).map_err(|e| db_err(target, sql, e))?;
        latencies_ms.push(t.elapsed().as_secs_f64() * 1e3);
        results.push(rows.iter().map(|r| r.get::<_, i64>(0)).collect());
        pb.inc(1);
    }
    Ok(Pass { results, latencies_ms, seconds: start.elapsed().as_secs_f64() })
}

/// Runs every query once, spread over all `clients` connections concurrently; returns
/// queries per second over the wall-clock time of the whole pass.
pub fn multi(clients: &mut [Client], target: &str, sql: &str, texts: &[String]) -> Result<f64, String> {
    let n = clients.len().max(1);
    let mut stmts = Vec::with_capacity(n);
    for c in clients.iter_mut() {
        let s = c.prepare(sql).map_err(|e| db_err(target, sql, e))?;
        for q in texts.iter().take(WARMUP / n + 1) {
            c.query(&s, &[q]).map_err(|e| db_err(target, sql, e))?;
        }
        stmts.push(s);
    }
    let start = Instant::now();
    let outcomes: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .iter_mut()
            .zip(&stmts)
            .enumerate()
            .map(|(i, (c, stmt))| {
                s.spawn(move || {
                    for q in texts.iter().skip(i).step_by(n) {
                        c.query(stmt, &[q]).map_err(|e| db_err(target, sql, e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("client thread panicked".into()))).collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    outcomes.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(texts.len() as f64 / seconds.max(1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        let s = Setting::parse("hnsw.ef_search=40").unwrap();
        assert_eq!(s.sql(), "SET hnsw.ef_search = '40'");
        assert_eq!(Setting::new("a", "it's").sql(), "SET a = 'it''s'");
        assert!(Setting::parse("x; DROP TABLE t=1").is_err());
        assert!(Setting::parse("novalue").is_err());
        assert_eq!(describe(&[s, Setting::new("b", 1)]), "hnsw.ef_search=40, b=1");
    }
}
