//! Milvus's `consistency_level`. A PostgreSQL read sees every transaction committed before its
//! snapshot, which is Milvus's Strong level; the weaker levels only allow staler reads, so any
//! level is served by PostgreSQL's reads. The argument is checked (a misspelling is an error, as
//! in pymilvus) and otherwise accepted.

use crate::{Error, Result};

/// The levels Milvus names, as pymilvus spells them.
pub const LEVELS: [&str; 5] = ["Strong", "Session", "Bounded", "Eventually", "Customized"];

/// The level named by `s` (any case), or an error listing the levels.
pub fn parse(s: &str) -> Result<&'static str> {
    LEVELS
        .iter()
        .find(|l| l.eq_ignore_ascii_case(s.trim()))
        .copied()
        .ok_or_else(|| {
            Error::param(format!(
                "consistency_level \"{s}\" is not one of {}",
                LEVELS.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_case_of_a_level_is_accepted() {
        assert_eq!(parse("strong").ok(), Some("Strong"));
        assert_eq!(parse(" Bounded ").ok(), Some("Bounded"));
        assert_eq!(parse("EVENTUALLY").ok(), Some("Eventually"));
    }

    #[test]
    fn unknown_levels_are_errors_that_list_the_levels() {
        let e = parse("strongest")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("\"strongest\"")
                && e.contains("Strong, Session, Bounded, Eventually, Customized"),
            "{e}"
        );
        assert!(parse("").is_err());
    }
}
