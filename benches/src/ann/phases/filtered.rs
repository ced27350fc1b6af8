//! Filtered search: `WHERE <filter> ORDER BY v <op> q LIMIT 10`, VectorDBBench's filter cases
//! at several selectivities (0.1% to 99% of the rows): a filter uncorrelated with the
//! vectors, one correlated and one anti-correlated with the queries, and a label-array filter
//! (the columns are described in [`crate::ann::attrs`]).

use postgres::Client;

use crate::ann::attrs::{self, Sides};
use crate::ann::pg::{db_err, INDEX, TABLE};

/// Selectivities measured, in thousandths of the rows kept (each has its label).
pub const PERMILLE: [u32; 5] = attrs::LABELS;

/// The scalar columns put into quiver's multi-column index for the filtered workload.
pub const INDEX_COLUMNS: &str = "tag, side, labels";

/// Which rows a filter keeps and which queries ask for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// `tag < t`: rows spread evenly over the vectors.
    Uncorrelated,
    /// `side >= 1000 - t`, asked by the queries furthest towards the kept end.
    Correlated,
    /// `side >= 1000 - t`, asked by the queries furthest from the kept end.
    AntiCorrelated,
    /// `labels @> ARRAY[t]`: a rare label in an array.
    Labels,
}

impl Case {
    pub const ALL: [Case; 4] = [Case::Uncorrelated, Case::Correlated, Case::AntiCorrelated, Case::Labels];

    pub fn name(self) -> &'static str {
        match self {
            Case::Uncorrelated => "uncorrelated",
            Case::Correlated => "correlated",
            Case::AntiCorrelated => "anti-correlated",
            Case::Labels => "labels",
        }
    }

    pub fn parse(s: &str) -> Result<Case, String> {
        Case::ALL
            .into_iter()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| format!("unknown filter case {s:?} (expected one of: uncorrelated, correlated, anti-correlated, labels)"))
    }

    pub fn predicate(self, permille: u32) -> String {
        match self {
            Case::Uncorrelated => format!("tag < {permille}"),
            Case::Correlated | Case::AntiCorrelated => format!("side >= {}", 1000 - permille.min(1000)),
            Case::Labels => format!("labels @> ARRAY[{permille}]"),
        }
    }

    /// Whether base row `i` passes the filter of `permille`.
    pub fn keeps(self, sides: &Sides, permille: u32, i: usize) -> bool {
        match self {
            Case::Uncorrelated => (attrs::tag_of(i) as u32) < permille,
            Case::Correlated | Case::AntiCorrelated => sides.of_row[i] as i64 >= 1000 - permille as i64,
            Case::Labels => attrs::has_label(i, permille),
        }
    }
}

pub fn sql(case: Case, permille: u32, operator: &str, k: usize) -> String {
    format!("SELECT id FROM {TABLE} WHERE {} ORDER BY v {operator} $1::text::vector LIMIT {k}", case.predicate(permille))
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
            sql(Case::Uncorrelated, 10, "<->", 10),
            "SELECT id FROM bench_items WHERE tag < 10 ORDER BY v <-> $1::text::vector LIMIT 10"
        );
        assert_eq!(Case::AntiCorrelated.predicate(1), "side >= 999");
        assert_eq!(Case::Labels.predicate(100), "labels @> ARRAY[100]");
        for c in Case::ALL {
            assert_eq!(Case::parse(c.name()), Ok(c));
        }
        assert!(Case::parse("sideways").unwrap_err().contains("anti-correlated"));
    }
}
