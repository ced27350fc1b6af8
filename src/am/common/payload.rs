//! Vector values as index access methods see them: the operator class → (kind, metric) table,
//! detoasting into a short-lived memory context, and dimension checks against the column.
//!
//! Every index method stores and compares a vector as its varlena *payload* (the bytes after
//! the 4-byte length word, see `quiver_core::metric`). Detoasted copies never accumulate in
//! a long-lived memory context: [`Detoaster`] detoasts inside its own context, hands the
//! payload to Rust, and resets the context, so a build, an insert or a rescan per outer row
//! of a nested loop runs in constant memory.

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use quiver_core::metric::{payload_dims, Metric, VectorKind};

/// The C entry points of the operator classes' distance functions (support function 1).
fn kernel_table() -> [(usize, VectorKind, Metric); 14] {
    use crate::types::ops::*;
    use crate::types::sparse_ops::*;
    [
        (vector_l2_squared_distance_wrapper as *const () as usize, VectorKind::F32, Metric::L2),
        (vector_negative_inner_product_wrapper as *const () as usize, VectorKind::F32, Metric::InnerProduct),
        (vector_cosine_distance_wrapper as *const () as usize, VectorKind::F32, Metric::Cosine),
        (vector_l1_distance_wrapper as *const () as usize, VectorKind::F32, Metric::L1),
        (halfvec_l2_squared_distance_wrapper as *const () as usize, VectorKind::F16, Metric::L2),
        (halfvec_negative_inner_product_wrapper as *const () as usize, VectorKind::F16, Metric::InnerProduct),
        (halfvec_cosine_distance_wrapper as *const () as usize, VectorKind::F16, Metric::Cosine),
        (halfvec_l1_distance_wrapper as *const () as usize, VectorKind::F16, Metric::L1),
        (sparsevec_l2_squared_distance_wrapper as *const () as usize, VectorKind::Sparse, Metric::L2),
        (sparsevec_negative_inner_product_wrapper as *const () as usize, VectorKind::Sparse, Metric::InnerProduct),
        (sparsevec_cosine_distance_wrapper as *const () as usize, VectorKind::Sparse, Metric::Cosine),
        (sparsevec_l1_distance_wrapper as *const () as usize, VectorKind::Sparse, Metric::L1),
        (bit_hamming_distance_wrapper as *const () as usize, VectorKind::Bit, Metric::Hamming),
        (bit_jaccard_distance_wrapper as *const () as usize, VectorKind::Bit, Metric::Jaccard),
    ]
}

/// Element kind and metric of an index's first column, from its operator class's support
/// function 1 (`am` names the access method in the error).
pub fn opclass_kernel(index: pg_sys::Relation, am: &str) -> (VectorKind, Metric) {
    if unsafe { pg_sys::index_getprocid(index, 1, 1) } == pg_sys::InvalidOid {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "{am} index \"{}\": its first column must be a vector column (vector, halfvec, sparsevec or bit) with a distance operator class",
                super::page::rel_name(index)
            ),
        );
    }
    let addr = unsafe {
        let finfo = pg_sys::index_getprocinfo(index, 1, 1);
        (*finfo).fn_addr.map(|f| f as usize).unwrap_or(0)
    };
    match kernel_table().iter().find(|(a, _, _)| *a == addr) {
        Some(&(_, kind, metric)) => (kind, metric),
        None => crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("{am} operator class has an unsupported distance function"),
        ),
    }
}

/// Most dimensions an index accepts for each kind (bit: bits).
pub fn max_dims(kind: VectorKind) -> usize {
    match kind {
        VectorKind::F32 => quiver_core::limits::VECTOR_MAX_DIM,
        VectorKind::F16 => quiver_core::limits::HALFVEC_MAX_DIM,
        VectorKind::Sparse => quiver_core::limits::SPARSEVEC_MAX_DIM,
        VectorKind::Bit => 8 * quiver_core::limits::VECTOR_MAX_DIM,
    }
}

fn type_name(kind: VectorKind) -> &'static str {
    match kind {
        VectorKind::F32 => "vector",
        VectorKind::F16 => "halfvec",
        VectorKind::Sparse => "sparsevec",
        VectorKind::Bit => "bit",
    }
}

/// The dimensions of the indexed column (its type modifier), checked before a build: the
/// column must declare them (`vector(384)`, or an expression index on `(v::vector(384))`),
/// so every row has the same number and distances compare whole vectors.
pub fn column_dims(index: pg_sys::Relation, kind: VectorKind, am: &str) -> u32 {
    let (typid, typmod) = unsafe {
        let att = *crate::compat::attribute((*index).rd_att, 0);
        (att.atttypid, att.atttypmod)
    };
    if typid == pg_sys::VARBITOID {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("type bit varying is not supported for {am} index; use bit(n)"),
        );
    }
    if typmod < 1 {
        pgrx::pg_sys::panic::ErrorReport::new(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "column does not have dimensions", "quiver")
            .set_hint(format!(
                "Declare the column with its dimensions, e.g. {t}(384), or index an expression such as (embedding::{t}(384)).",
                t = type_name(kind)
            ))
            .report(pgrx::PgLogLevel::ERROR);
        unreachable!()
    }
    let max = max_dims(kind);
    if typmod as usize > max {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("column cannot have more than {max} dimensions for {am} index"),
        );
    }
    typmod as u32
}

/// Bytes of a vector of `dims` dimensions (0 for sparse vectors, whose size depends on their
/// non-zero elements).
pub fn dense_bytes(kind: VectorKind, dims: u32) -> f64 {
    match kind {
        VectorKind::F32 => 4.0 * dims as f64,
        VectorKind::F16 => 2.0 * dims as f64,
        VectorKind::Bit => dims as f64 / 8.0,
        VectorKind::Sparse => 0.0,
    }
}

/// Raise the error the distance operator itself raises when a query's dimensions differ
/// from the column's.
pub fn check_query_dims(kind: VectorKind, dims: u32, query: &[u8]) {
    let got = payload_dims(kind, query);
    if got == dims as usize {
        return;
    }
    let msg = match kind {
        VectorKind::F32 => format!("different vector dimensions {dims} and {got}"),
        VectorKind::F16 => format!("different halfvec dimensions {dims} and {got}"),
        VectorKind::Sparse => format!("different sparsevec dimensions {dims} and {got}"),
        VectorKind::Bit => format!("different bit lengths {dims} and {got}"),
    };
    crate::error::raise_code(PgSqlErrorCode::ERRCODE_DATA_EXCEPTION, msg)
}

/// Whether `payload` has a distance to other vectors under `metric`: a vector of norm zero
/// has none under cosine (NaN); such rows are kept outside the graph.
pub fn orderable(kind: VectorKind, metric: Metric, payload: &[u8]) -> bool {
    metric != Metric::Cosine || quiver_core::metric::payload_norm_squared(kind, payload) > 0.0
}

/// Detoasts vector datums in a private memory context that is reset after each use.
pub struct Detoaster {
    cxt: pg_sys::MemoryContext,
    /// Whether dropping the Detoaster deletes its context (not for one that lives in a
    /// memory context itself: its context is then deleted with that context's children).
    owned: bool,
}

impl Detoaster {
    /// A context under the current memory context (so an error frees it with its parent),
    /// deleted when the Detoaster is dropped.
    pub fn new() -> Detoaster {
        Detoaster { owned: true, ..Self::in_current_context() }
    }

    /// A context under the current memory context, left for that context to delete: for a
    /// Detoaster kept in state that is itself freed with the current context.
    pub fn in_current_context() -> Detoaster {
        let cxt = unsafe {
            pg_sys::AllocSetContextCreateExtended(
                pg_sys::CurrentMemoryContext,
                c"quiver detoast".as_ptr(),
                pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
                pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
                pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
            )
        };
        Detoaster { cxt, owned: false }
    }

    /// Run `f` on the payload of a non-null varlena datum.
    pub fn with<R>(&self, datum: pg_sys::Datum, f: impl FnOnce(&[u8]) -> R) -> R {
        let result = unsafe {
            let old = pg_sys::MemoryContextSwitchTo(self.cxt);
            let v = pg_sys::pg_detoast_datum(datum.cast_mut_ptr::<pg_sys::varlena>()) as *const u8;
            pg_sys::MemoryContextSwitchTo(old);
            // 4-byte header after detoasting (little-endian VARSIZE)
            let total = (v as *const u32).read_unaligned() as usize >> 2;
            f(std::slice::from_raw_parts(v.add(4), total.saturating_sub(4)))
        };
        unsafe { pg_sys::MemoryContextReset(self.cxt) };
        result
    }

    /// A copy of the payload.
    pub fn copy(&self, datum: pg_sys::Datum) -> Vec<u8> {
        self.with(datum, <[u8]>::to_vec)
    }
}

impl Drop for Detoaster {
    fn drop(&mut self) {
        if self.owned {
            unsafe { pg_sys::MemoryContextDelete(self.cxt) };
        }
    }
}

/// Heap tuples a page can hold (PostgreSQL's MaxHeapTuplesPerPage): no heap TID has a larger
/// offset.
pub const MAX_HEAP_TUPLES_PER_PAGE: u16 =
    ((pg_sys::BLCKSZ as usize - std::mem::size_of::<pg_sys::PageHeaderData>()) / (24 + std::mem::size_of::<pg_sys::ItemIdData>())) as u16;

/// A heap row: (block, offset).
pub type HeapTid = (u32, u16);

/// A heap TID as (block, offset).
pub fn heap_tid(t: &pg_sys::ItemPointerData) -> (u32, u16) {
    (((t.ip_blkid.bi_hi as u32) << 16) | t.ip_blkid.bi_lo as u32, t.ip_posid)
}

/// Store (block, offset) into an ItemPointerData.
pub fn set_heap_tid(dst: &mut pg_sys::ItemPointerData, (blk, off): (u32, u16)) {
    dst.ip_blkid.bi_hi = (blk >> 16) as u16;
    dst.ip_blkid.bi_lo = (blk & 0xffff) as u16;
    dst.ip_posid = off;
}
