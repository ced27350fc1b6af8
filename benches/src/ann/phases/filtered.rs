//! Filtered search: `WHERE tag < t ORDER BY v <op> q LIMIT 10` at several selectivities
//! (VectorDBBench's filter cases: 0.1% to 99% of the rows, uncorrelated with the vectors).

use postgres::Client;

use crate::ann::pg::{db_err, INDEX, TABLE};

/// Selectivities measured, in thousandths of the rows kept by `tag < t`.
pub const PERMILLE: [u32; 5] = [1, 10, 100, 500, 990];

pub fn predicate(permille: u32) -> String {
    format!("tag < {permille}")
}

pub fn sql(permille: u32, operator: &str, k: usize) -> String {
    format!("SELECT id FROM {TABLE} WHERE {} ORDER BY v {operator} $1::text::vector LIMIT {k}", predicate(permille))
}

/// Whether the plan for `sql` (with `example` as the parameter) scans the vector index.
pub fn uses_index(c: &mut Client, target: &str, sql: &str, example: &str) -> Result<bool, String> {
    let explain = format!("EXPLAIN {}", sql.replace("$1::text", "$1"));
    let rows = c.query(&explain.replace("$1", &format!("'{}'", example.replace('\'', "''"))), &[])
        .map_err(|e| db_err(target, "EXPLAIN", e))?;
    Ok(rows.iter().any(|r| r.get::<_, String>(0).contains(INDEX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_text() {
        assert_eq!(
            sql(10, "<->", 10),
            "SELECT id FROM bench_items WHERE tag < 10 ORDER BY v <-> $1::text::vector LIMIT 10"
        );
    }
}
