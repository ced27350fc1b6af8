//! Build: CREATE INDEX, timed, with the index size and the peak memory of the backend
//! running it and of any parallel workers helping it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use postgres::Client;

use crate::ann::pg::{db_err, memory_of, reset_peak, Target, INDEX, TABLE};
use crate::ann::progress;
use crate::ann::result::BuildResult;

/// What to build.
#[derive(Clone)]
pub struct IndexSpec {
    pub method: String,
    pub opclass: String,
    /// The WITH (...) options, e.g. `m = 16, ef_construction = 64`; empty for none.
    pub options: String,
    pub maintenance_work_mem: String,
    /// Columns after the vector (multi-column indexes), e.g. `tag`; empty for none.
    pub columns: String,
}

impl IndexSpec {
    pub fn create_sql(&self) -> String {
        let with = if self.options.trim().is_empty() { String::new() } else { format!(" WITH ({})", self.options) };
        let columns = if self.columns.trim().is_empty() { String::new() } else { format!(", {}", self.columns) };
        format!("CREATE INDEX {INDEX} ON {TABLE} USING {} (v {}{columns}){with}", self.method, self.opclass)
    }
}

/// `rounds` builds (at least one): the median time; the index size and memory of the first
/// (later builds reuse memory the backend already holds, so their growth says nothing).
pub fn run_rounds(c: &mut Client, target: &Target, pid: i32, spec: &IndexSpec, rounds: usize) -> Result<BuildResult, String> {
    let mut times = Vec::new();
    let mut first = None;
    for _ in 0..rounds.max(1) {
        let b = run(c, target, pid, spec)?;
        times.push(b.seconds);
        first.get_or_insert(b);
    }
    let mut b = first.ok_or("no build ran")?;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    b.seconds = sorted[sorted.len() / 2];
    b.all_seconds = times;
    Ok(b)
}

pub fn run(c: &mut Client, target: &Target, pid: i32, spec: &IndexSpec) -> Result<BuildResult, String> {
    let name = &target.name;
    c.batch_execute(&format!("DROP INDEX IF EXISTS {INDEX}; SET maintenance_work_mem = '{}'", spec.maintenance_work_mem))
        .map_err(|e| db_err(name, "setting maintenance_work_mem", e))?;
    // The load just before left up to a table's worth of dirty buffers and WAL; flush them
    // now so that no target's timed build pays for the checkpoint of its own load (one that
    // builds faster would otherwise pay more of it). Needs superuser or pg_checkpoint.
    let _ = c.batch_execute("CHECKPOINT");
    let before = memory_of(pid);
    let reset = reset_peak(pid);
    let pb = progress::spinner(&format!("{name}: build"));
    let stop = AtomicBool::new(false);
    let mut monitor = target.connect()?;
    let (outcome, workers) = std::thread::scope(|s| {
        let sampler = s.spawn(|| sample(&mut monitor, pid, &stop, &pb));
        let t = Instant::now();
        let r = c.batch_execute(&spec.create_sql()).map(|_| t.elapsed().as_secs_f64());
        stop.store(true, Ordering::Relaxed);
        (r, sampler.join().unwrap_or(None))
    });
    pb.finish_and_clear();
    let seconds = outcome.map_err(|e| db_err(name, &spec.create_sql(), e))?;
    let after = memory_of(pid);
    let size: i64 = c
        .query_one(&format!("SELECT pg_relation_size('{INDEX}')"), &[])
        .map_err(|e| db_err(name, "reading the index size", e))?
        .get(0);
    // Without a reset the peak may predate the build; only report it when it was reset.
    let peak = after.filter(|_| reset).map(|(hwm, _)| hwm);
    let growth = match (before, peak) {
        (Some((_, rss0)), Some(p)) => Some(p.saturating_sub(rss0)),
        _ => None,
    };
    Ok(BuildResult {
        seconds,
        all_seconds: vec![seconds],
        index_bytes: size as u64,
        backend_peak_rss_bytes: peak,
        backend_rss_growth_bytes: growth,
        workers_peak_rss_bytes: workers,
    })
}

/// Until `stop`: shows the build's progress and samples the peak RSS of parallel workers
/// whose leader is `pid`. Returns the sum of the workers' last-seen peaks (None if
/// /proc was not readable for a worker that ran).
fn sample(c: &mut Client, pid: i32, stop: &AtomicBool, pb: &ProgressBar) -> Option<u64> {
    let mut peaks: HashMap<i32, Option<u64>> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(rows) = c.query(
            "SELECT a.pid, p.phase, p.tuples_done, p.tuples_total \
               FROM pg_stat_activity a LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid \
              WHERE a.pid = $1 OR a.leader_pid = $1",
            &[&pid],
        ) {
            for r in rows {
                let p: i32 = r.get(0);
                if p == pid {
                    let phase: Option<String> = r.get(1);
                    let (done, total): (Option<i64>, Option<i64>) = (r.get(2), r.get(3));
                    pb.set_message(match (phase, done, total) {
                        (Some(ph), Some(d), Some(t)) if t > 0 => format!("{ph} {d}/{t} tuples"),
                        (Some(ph), _, _) => ph,
                        _ => String::new(),
                    });
                } else {
                    let seen = memory_of(p).map(|(hwm, _)| hwm);
                    let e = peaks.entry(p).or_insert(seen);
                    *e = (*e).max(seen);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    peaks.values().try_fold(0u64, |acc, p| p.map(|p| acc + p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_sql() {
        let s = IndexSpec {
            method: "hnsw".into(),
            opclass: "vector_l2_ops".into(),
            options: "m = 16, ef_construction = 64".into(),
            maintenance_work_mem: "1GB".into(),
            columns: String::new(),
        };
        assert_eq!(
            s.create_sql(),
            "CREATE INDEX bench_items_v_idx ON bench_items USING hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 64)"
        );
        let multi = IndexSpec { columns: "tag".into(), ..s.clone() };
        assert_eq!(
            multi.create_sql(),
            "CREATE INDEX bench_items_v_idx ON bench_items USING hnsw (v vector_l2_ops, tag) WITH (m = 16, ef_construction = 64)"
        );
        let none = IndexSpec { options: " ".into(), ..s };
        assert!(!none.create_sql().contains("WITH"));
    }
}
