//! Load: (re)create the benchmark table and fill it with binary COPY.
//! Columns: `id`, the filter columns `tag`, `side` and `labels` ([`crate::ann::attrs`]), `v`
//! and `body` (the text behind the vector, when the dataset has it; NULL otherwise).

use std::time::Instant;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::Client;

use crate::ann::attrs::{labels_of, tag_of, Sides};
use crate::ann::dataset::Matrix;
use crate::ann::pg::{db_err, BinVector, ServerInfo, TABLE};
use crate::ann::progress;
use crate::ann::result::LoadResult;

/// Rows per progress-bar update.
const CHUNK: usize = 1000;

/// Creates the table and loads `base` (row `i` gets id `i`, and `texts[i]` as `body` when given).
pub fn run(c: &mut Client, target: &str, info: &ServerInfo, base: &Matrix, sides: &Sides, texts: Option<&[String]>) -> Result<LoadResult, String> {
    let ddl = format!(
        "DROP TABLE IF EXISTS {TABLE}; \
         CREATE TABLE {TABLE} (id int8 NOT NULL, tag int4 NOT NULL, side int4, labels int4[], v vector({}) NOT NULL, body text)",
        base.dim
    );
    c.batch_execute(&ddl).map_err(|e| db_err(target, "creating the table", e))?;
    let pb = progress::bar(&format!("{target}: load"), base.len() as u64);
    let t = Instant::now();
    let sink = c
        .copy_in(&format!("COPY {TABLE} (id, tag, side, labels, v, body) FROM STDIN (FORMAT binary)"))
        .map_err(|e| db_err(target, "starting COPY", e))?;
    let types = [Type::INT8, Type::INT4, Type::INT4, Type::INT4_ARRAY, info.vector_type.clone(), Type::TEXT];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for i in 0..base.len() {
        let body: Option<&str> = texts.and_then(|t| t.get(i)).map(String::as_str);
        w.write(&[&(i as i64), &tag_of(i), &i32::from(sides.of_row[i]), &labels_of(i), &BinVector(base.row(i)), &body])
            .map_err(|e| db_err(target, &format!("COPY row {i}"), e))?;
        if i % CHUNK == 0 {
            pb.set_position(i as u64);
        }
    }
    w.finish().map_err(|e| db_err(target, "finishing COPY", e))?;
    let seconds = t.elapsed().as_secs_f64();
    pb.finish_and_clear();
    c.batch_execute(&format!("VACUUM (ANALYZE) {TABLE}"))
        .map_err(|e| db_err(target, "VACUUM ANALYZE after the load", e))?;
    let size: i64 = c
        .query_one(&format!("SELECT pg_table_size('{TABLE}')"), &[])
        .map_err(|e| db_err(target, "reading the table size", e))?
        .get(0);
    Ok(LoadResult { rows: base.len(), seconds, table_bytes: size as u64 })
}
