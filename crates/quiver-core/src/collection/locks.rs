//! Transaction-level advisory locks that make insert's duplicate-key check and upsert's
//! replace atomic. A collection's table is partitioned, and its primary key constraint is
//! `(pk, partition column)`, so the database alone does not keep a key unique across
//! partitions; every writer of explicit keys therefore takes, before it looks for them:
//!
//! * up to [`MAX_KEY_LOCKS`] keys: the collection lock in shared mode, then one exclusive
//!   lock per key (`(table oid, hash of the key)`), in ascending order so that two batches
//!   never wait for each other in a cycle;
//! * more keys: the collection lock in exclusive mode (one lock instead of thousands: the
//!   lock table is shared by all sessions and sized by `max_locks_per_transaction`).
//!
//! Locks are held to the end of the transaction, so a second writer of the same key runs
//! its check after the first one has committed (or rolled back) and, under READ COMMITTED,
//! sees its row. Two keys with the same 32-bit hash only make their writers wait.

use serde_json::Value;

use super::ident::pg;

/// Most keys locked one by one; larger batches lock the whole collection.
pub const MAX_KEY_LOCKS: usize = 64;

/// Tags in the upper half of the 64-bit advisory lock keys of a collection.
const COLLECTION_TAG: i64 = 0x5156_4331; // "QVC1"
const IDENTITY_TAG: i64 = 0x5156_4932; // "QVI2"

/// The locks a write of explicit keys takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLocks {
    /// The collection lock (shared), then these per-key locks, sorted and distinct.
    Keys { collection: i64, table: i32, keys: Vec<i32> },
    /// The collection lock, exclusive.
    Collection(i64),
}

/// The 64-bit key of the collection-wide lock of the table with OID `relid`.
pub fn collection_key(relid: u32) -> i64 {
    (COLLECTION_TAG << 32) | i64::from(relid)
}

/// The 64-bit key of the lock serialising identity updates of the table `relid`.
pub fn identity_key(relid: u32) -> i64 {
    (IDENTITY_TAG << 32) | i64::from(relid)
}

/// FNV-1a of the key's canonical text (the number, or the string itself), as an `int4`.
pub fn key_hash(pk: &Value) -> i32 {
    let text = match pk {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// The locks for writing the keys `pks` into the table with OID `relid`.
pub fn plan(relid: u32, pks: &[Value]) -> KeyLocks {
    let mut keys: Vec<i32> = pks.iter().map(key_hash).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > MAX_KEY_LOCKS {
        KeyLocks::Collection(collection_key(relid))
    } else {
        // The OID's bits as an int4 (pg_advisory_xact_lock(int4, int4)).
        KeyLocks::Keys { collection: collection_key(relid), table: relid as i32, keys }
    }
}

/// `$1` (bigint): the collection lock, shared.
pub fn shared_lock_sql() -> String {
    format!("SELECT {}($1::bigint)", pg("pg_advisory_xact_lock_shared"))
}

/// `$1` (bigint): an exclusive lock.
pub fn exclusive_lock_sql() -> String {
    format!("SELECT {}($1::bigint)", pg("pg_advisory_xact_lock"))
}

/// `$1` (integer) the table, `$2` (integer[]) the key hashes, locked in array order.
pub fn key_locks_sql() -> String {
    format!(
        "SELECT {}($1::integer, k.k) FROM {}($2::integer[]) AS k(k)",
        pg("pg_advisory_xact_lock"),
        pg("unnest")
    )
}

/// An `integer[]` literal.
pub fn int_array(keys: &[i32]) -> String {
    format!("{{{}}}", keys.iter().map(i32::to_string).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_batches_lock_keys_in_order() {
        let p = plan(16_385, &[json!(5), json!(3), json!(5), json!("5")]);
        let KeyLocks::Keys { collection, table, keys } = p else { panic!("{p:?}") };
        // 5 and "5" are the same key text: one lock.
        assert_eq!(keys.len(), 2);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(table, 16_385);
        assert_eq!(collection, (0x5156_4331 << 32) | 16_385);
        assert_eq!(key_hash(&json!("a")), key_hash(&json!("a")));
        assert_ne!(key_hash(&json!(1)), key_hash(&json!(2)));
        // OIDs above 2^31 keep their bits
        let KeyLocks::Keys { table, .. } = plan(u32::MAX, &[json!(1)]) else { panic!() };
        assert_eq!(table, -1);
        assert_ne!(collection_key(7), identity_key(7));
    }

    #[test]
    fn large_batches_lock_the_collection() {
        let many: Vec<Value> = (0..=MAX_KEY_LOCKS as i64).map(Value::from).collect();
        assert_eq!(plan(9, &many), KeyLocks::Collection(collection_key(9)));
        assert!(matches!(plan(9, &many[..MAX_KEY_LOCKS]), KeyLocks::Keys { .. }));
        assert_eq!(int_array(&[-1, 2]), "{-1,2}");
    }
}
