//! Inserts into the indexed table: one row per statement (autocommit), first from one
//! connection, then from several at once.

use std::time::Instant;

use postgres::Client;

use crate::ann::dataset::Matrix;
use crate::ann::pg::{db_err, vector_text, TABLE};
use crate::ann::attrs::{labels_of, tag_of, Sides};
use crate::ann::progress;

const SQL: &str = "INSERT INTO bench_items (id, tag, side, labels, v) VALUES ($1, $2, $3, $4, $5::text::vector)";

/// Inserts rows `range` of `extra` with ids `first_id + i`; returns rows per second.
fn insert_range(c: &mut Client, target: &str, extra: &Matrix, sides: &Sides, first_id: usize, rows: &[usize]) -> Result<(), String> {
    let stmt = c.prepare(SQL).map_err(|e| db_err(target, SQL, e))?;
    for &i in rows {
        let id = first_id + i;
        let side = i32::from(sides.side_of(extra.row(i)));
        c.execute(&stmt, &[&(id as i64), &tag_of(id), &side, &labels_of(id), &vector_text(extra.row(i))])
            .map_err(|e| db_err(target, &format!("inserting row {id} into {TABLE}"), e))?;
    }
    Ok(())
}

/// Inserts the first `single` rows of `extra` from `c`, then the rest spread over
/// `clients`; returns (single rows/s, concurrent rows/s).
pub fn run(c: &mut Client, clients: &mut [Client], target: &str, extra: &Matrix, sides: &Sides, first_id: usize, single: usize) -> Result<(f64, f64), String> {
    let single = single.min(extra.len());
    let pb = progress::spinner(&format!("{target}: inserts"));
    pb.set_message(format!("{single} rows, one connection"));
    let t = Instant::now();
    insert_range(c, target, extra, sides, first_id, &(0..single).collect::<Vec<_>>())?;
    let single_rate = single as f64 / t.elapsed().as_secs_f64().max(1e-9);
    let n = clients.len().max(1);
    let rest = extra.len() - single;
    pb.set_message(format!("{rest} rows, {n} connections"));
    let t = Instant::now();
    let outcomes: Vec<Result<(), String>> = std::thread::scope(|s| {
        let hs: Vec<_> = clients
            .iter_mut()
            .enumerate()
            .map(|(k, cl)| {
                let rows: Vec<usize> = (single + k..extra.len()).step_by(n).collect();
                s.spawn(move || insert_range(cl, target, extra, sides, first_id, &rows))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("insert thread panicked".into()))).collect()
    });
    outcomes.into_iter().collect::<Result<Vec<()>, String>>()?;
    let concurrent_rate = rest as f64 / t.elapsed().as_secs_f64().max(1e-9);
    pb.finish_and_clear();
    Ok((single_rate, concurrent_rate))
}
