//! Scalar attributes stored next to a vector in an index entry, and the predicates an index
//! scan evaluates on them.
//!
//! A multi-column vector index (`USING hnsw (embedding vector_l2_ops, tenant_id, labels)`)
//! keeps each row's scalar columns in a compact blob ([`encode`]); a scan turns the query's
//! `WHERE` clauses on those columns into a [`Predicate`] and tests every entry it meets, so
//! rows that fail are never returned and the walk keeps looking for rows that pass.
//!
//! Values are integers (int2/int4/int8, and date/timestamp/timestamptz by their integer
//! representation), booleans, text (compared byte for byte: deterministic collations only)
//! and arrays of integers or text (as sorted sets, which is what `&&`, `@>` and `<@` compare).
//! SQL semantics hold: a NULL value satisfies no test.

mod encode;
mod order;
mod predicate;
#[cfg(test)]
mod tests;

pub use encode::{decode, encode, Attr, Value};
pub use order::{column_keys, in_ranges, pages_to_read, sort_key, text_key, Ranges, NULL_KEY};
pub use predicate::{Cmp, Predicate, Test};
