//! What an hnsw index compares and how its pages are shaped: element kind and metric (from its
//! operator class), `m`, `ef_construction` and the dimensions.
//!
//! A built index takes them from its meta page ([`IndexSpec::of`]); only a build reads the
//! reloptions ([`IndexSpec::for_build`]). `ALTER INDEX ... SET (m = ...)` therefore changes
//! nothing until REINDEX, as with PostgreSQL's own index options.

use super::layout::{Meta, NodeLayout};
use super::options;
use crate::am::common::payload;
use pgrx::pg_sys;
use quiver_core::hnsw::HnswParams;
use quiver_core::metric::{Metric, VectorKind};

#[derive(Clone, Copy, Debug)]
pub struct IndexSpec {
    pub kind: VectorKind,
    pub metric: Metric,
    pub params: HnswParams,
    pub layout: NodeLayout,
    pub dims: u32,
}

impl IndexSpec {
    /// The spec of a built index, from its meta page.
    pub fn of(index: pg_sys::Relation) -> IndexSpec {
        Self::from_meta(index, &super::graph::read_meta(index))
    }

    pub fn from_meta(index: pg_sys::Relation, meta: &Meta) -> IndexSpec {
        let (kind, metric) = payload::opclass_kernel(index, "hnsw");
        let m = meta.m as usize;
        IndexSpec {
            kind,
            metric,
            params: HnswParams::new(m, meta.ef_construction as usize),
            layout: NodeLayout { m },
            dims: meta.dims,
        }
    }

    /// The spec for a new build: options from the reloptions, dimensions from the column
    /// (which must declare them).
    pub fn for_build(index: pg_sys::Relation) -> IndexSpec {
        let (kind, metric) = payload::opclass_kernel(index, "hnsw");
        let dims = payload::column_dims(index, kind, "hnsw");
        let (m, ef_construction) = options::of(index);
        if ef_construction < 2 * m {
            crate::error::raise_code(
                pgrx::PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                "ef_construction must be greater than or equal to 2 * m",
            );
        }
        IndexSpec { kind, metric, params: HnswParams::new(m, ef_construction), layout: NodeLayout { m }, dims }
    }

    /// A fresh meta page for this spec.
    pub fn new_meta(&self) -> Meta {
        Meta {
            magic: super::layout::MAGIC,
            version: super::layout::VERSION,
            m: self.params.m as u32,
            ef_construction: self.params.ef_construction as u32,
            dims: self.dims,
            insert_page: pg_sys::InvalidBlockNumber,
            free_overflow: pg_sys::InvalidBlockNumber,
            ..Default::default()
        }
    }
}
