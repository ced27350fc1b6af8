//! Vector indexes built after the rows instead of row by row: importing into an empty table
//! that has hnsw / ivfflat indexes drops those indexes, loads the rows, and creates them
//! again from their own definitions (`pg_get_indexdef`), in the same transaction. One
//! parallel build over all rows is many times faster than one graph insertion per row, and
//! the result is the same index: same name, definition, tablespace and comment. A failed
//! import rolls the DROP back with everything else.
//!
//! It needs what DROP INDEX needs (the caller has the privileges of the table's owner) and
//! holds an ACCESS EXCLUSIVE lock on the table until the import commits, so it is taken only
//! for an empty table (where nobody waits on rows yet) unless `defer_indexes` says otherwise.
//! Indexes attached to a partitioned index (on a partition) cannot be dropped alone; they
//! keep the row-by-row path.

use serde_json::Value;

use crate::collections::spi;

/// `options.defer_indexes`: rebuild the table's vector indexes after the import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defer {
    /// When the caller owns the table, it is empty and has vector indexes.
    Auto,
    Always,
    Never,
}

/// Indexes dropped for the import, to be created again.
pub struct Dropped {
    indexes: Vec<(String, Option<String>)>,
}

/// The table's valid hnsw / ivfflat indexes: (qualified name, definition, comment).
const VECTOR_INDEXES: &str = "SELECT pg_catalog.jsonb_build_object( \
        'name', i.indexrelid::pg_catalog.regclass::pg_catalog.text, \
        'def', pg_catalog.pg_get_indexdef(i.indexrelid), \
        'comment', pg_catalog.obj_description(i.indexrelid, 'pg_class')) \
      FROM pg_catalog.pg_index AS i \
      JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid \
      JOIN pg_catalog.pg_am AS a ON a.oid OPERATOR(pg_catalog.=) c.relam \
     WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND i.indisvalid AND i.indisready \
       AND NOT c.relispartition \
       AND a.amname OPERATOR(pg_catalog.=) ANY ('{hnsw,ivfflat}'::pg_catalog.text[]) \
     ORDER BY i.indexrelid";

/// Drops the vector indexes of the table `relid` (an OID as text) when `mode` and the table
/// say so.
pub fn drop_if_worth_it(relid: &str, mode: Defer) -> Option<Dropped> {
    if mode == Defer::Never {
        return None;
    }
    let relation = spi::text_one("SELECT $1::pg_catalog.oid::pg_catalog.regclass::pg_catalog.text", &[relid])?;
    let owner = spi::text_one(
        "SELECT pg_catalog.pg_has_role(c.relowner, 'USAGE')::pg_catalog.text FROM pg_catalog.pg_class AS c \
          WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND c.relkind OPERATOR(pg_catalog.=) 'r'",
        &[relid],
    );
    if owner.as_deref() != Some("true") {
        return None;
    }
    let indexes = spi::json_rows(VECTOR_INDEXES, &[relid]);
    if indexes.is_empty() {
        return None;
    }
    if mode == Defer::Auto {
        let empty = spi::text_one(&format!("SELECT (NOT EXISTS (SELECT FROM ONLY {relation}))::pg_catalog.text"), &[]);
        if empty.as_deref() != Some("true") {
            return None;
        }
    }
    spi::run(&format!("LOCK TABLE ONLY {relation} IN ACCESS EXCLUSIVE MODE"), &[]);
    // the lock may have waited for another definition of the indexes
    let indexes = spi::json_rows(VECTOR_INDEXES, &[relid]);
    let mut dropped = Vec::with_capacity(indexes.len());
    for ix in indexes {
        let text = |k: &str| ix.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(name), Some(def)) = (text("name"), text("def")) else { continue };
        spi::run(&format!("DROP INDEX {name}"), &[]);
        let comment = text("comment").map(|c| {
            let quoted = spi::text_one("SELECT pg_catalog.quote_literal($1)", &[&c]).unwrap_or_else(|| "NULL".into());
            format!("COMMENT ON INDEX {name} IS {quoted}")
        });
        dropped.push((def, comment));
    }
    Some(Dropped { indexes: dropped })
}

impl Dropped {
    /// Creates the dropped indexes again over every row.
    pub fn rebuild(self) {
        for (def, comment) in self.indexes {
            spi::run(&def, &[]);
            if let Some(c) = comment {
                spi::run(&c, &[]);
            }
        }
    }
}
