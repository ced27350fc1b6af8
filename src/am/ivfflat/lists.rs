//! The lists of an ivfflat index as a scan or an insert sees them: centroids and heads, read
//! once per build of the index and kept in a small per-backend cache (centroids and first
//! pages never change until the index is rebuilt, which gives it a new build id).

use super::layout::{Meta, HEAD_NAN, HEAD_NULL, HEAD_OVERFLOW};
use super::pages;
use crate::am::common::payload;
use pgrx::pg_sys;
use quiver_core::metric::{f32_distance, f32_elements, index_distance, Metric, VectorKind};
use std::cell::RefCell;
use std::rc::Rc;

/// Indexes whose lists are cached per backend.
const CACHE_SIZE: usize = 16;

pub struct Lists {
    pub build_id: u64,
    pub kind: VectorKind,
    pub metric: Metric,
    pub dims: u32,
    /// Centroid payloads of the k-means lists.
    pub centroids: Vec<Vec<u8>>,
    /// `vector` indexes: the centroids as f32 rows (the fast path).
    dense: Option<Vec<f32>>,
    /// First page of every list (k-means lists, then NaN, then NULL).
    pub first: Vec<u32>,
    /// Head item position of every list.
    pub heads: Vec<(u32, u16)>,
}

impl Lists {
    pub fn count(&self) -> usize {
        self.centroids.len()
    }

    pub fn nan_list(&self) -> usize {
        self.count()
    }

    pub fn null_list(&self) -> usize {
        self.count() + 1
    }

    /// Index distance from a centroid to `query`.
    pub fn distance(&self, list: usize, query: &[u8], query_f32: Option<&[f32]>) -> f32 {
        match (&self.dense, query_f32) {
            (Some(d), Some(q)) => {
                let dim = self.dims as usize;
                f32_distance(self.metric, &d[list * dim..(list + 1) * dim], q)
            }
            _ => index_distance(self.kind, self.metric, &self.centroids[list], query),
        }
    }

    /// Every k-means list with its distance to `query`, nearest first.
    pub fn ranked(&self, query: &[u8]) -> Vec<(f32, u32)> {
        let q = if self.kind == VectorKind::F32 { f32_elements(query) } else { None };
        let mut out: Vec<(f32, u32)> = (0..self.count()).map(|l| (self.distance(l, query, q), l as u32)).collect();
        out.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        out
    }

    /// The list a new row goes to.
    pub fn list_for(&self, row: &[u8]) -> usize {
        if !payload::orderable(self.kind, self.metric, row) {
            return self.nan_list();
        }
        let q = if self.kind == VectorKind::F32 { f32_elements(row) } else { None };
        let mut best = (f32::INFINITY, 0usize);
        for l in 0..self.count() {
            let d = self.distance(l, row, q);
            if d < best.0 {
                best = (d, l);
            }
        }
        best.1
    }
}

thread_local! {
    static CACHE: RefCell<Vec<(u32, Rc<Lists>)>> = const { RefCell::new(Vec::new()) };
}

/// The lists of `index` (from the cache when this build's are there).
pub fn of(index: pg_sys::Relation) -> Rc<Lists> {
    let meta = pages::read_meta(index);
    let oid = unsafe { (*index).rd_id.to_u32() };
    if let Some(l) = CACHE.with(|c| c.borrow().iter().find(|(o, l)| *o == oid && l.build_id == meta.build_id).map(|(_, l)| l.clone())) {
        return l;
    }
    let lists = Rc::new(read(index, &meta));
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.retain(|(o, _)| *o != oid);
        if c.len() >= CACHE_SIZE {
            c.remove(0);
        }
        c.push((oid, lists.clone()));
    });
    lists
}

fn read(index: pg_sys::Relation, meta: &Meta) -> Lists {
    let (kind, metric) = payload::opclass_kernel(index, "ivfflat");
    let heads = pages::read_heads(index, meta);
    let mut centroids = Vec::with_capacity(meta.lists as usize);
    for (i, (head, pos, inline)) in heads.iter().enumerate().take(meta.lists as usize) {
        let c = if head.flags & HEAD_OVERFLOW != 0 {
            pages::read_overflow(index, head.overflow, head.centroid_len as usize, &|| format!("the centroid of list {i}"))
                .unwrap_or_else(|e| {
                    crate::error::raise_code(pgrx::PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED, format!("ivfflat index \"{}\": {e}", crate::am::common::page::rel_name(index)))
                })
        } else {
            inline[..(head.centroid_len as usize).min(inline.len())].to_vec()
        };
        if head.flags & (HEAD_NAN | HEAD_NULL) != 0 || payload_dims_ok(kind, meta.dims, &c).is_none() {
            crate::error::raise_code(
                pgrx::PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
                format!("ivfflat index \"{}\": list head ({},{}) is damaged", crate::am::common::page::rel_name(index), pos.0, pos.1),
            );
        }
        centroids.push(c);
    }
    let dense = (kind == VectorKind::F32)
        .then(|| centroids.iter().try_fold(Vec::new(), |mut acc, c| f32_elements(c).map(|x| { acc.extend_from_slice(x); acc })))
        .flatten();
    Lists {
        build_id: meta.build_id,
        kind,
        metric,
        dims: meta.dims,
        centroids,
        dense,
        first: heads.iter().map(|h| h.0.first).collect(),
        heads: heads.iter().map(|h| h.1).collect(),
    }
}

fn payload_dims_ok(kind: VectorKind, dims: u32, c: &[u8]) -> Option<()> {
    (quiver_core::metric::payload_dims(kind, c) == dims as usize).then_some(())
}
