//! The index framework shared by every quiver access method:
//!
//! * `page`: buffers, Generic WAL, page items, the free space map, init forks.
//! * `bulk`: a new index's pages written past shared buffers, WAL-logged in batches.
//! * `overflow`: values larger than a page, in chains of overflow pages.
//! * `payload`: opclass kernels, detoasting, dimension checks, heap TIDs.
//! * `build`: build input (rows collected within maintenance_work_mem, spilled beyond it) and
//!   progress reporting in pg_stat_progress_create_index.
//! * `spill`: temporary files behind the build input; `threads`: the build's worker pool.
//! * `scan`: the ordered scan's output (ORDER BY values, heap TID checks, query extraction).
//! * `vacuum`: the pieces of a VACUUM pass (stats, pauses, budget).
//! * `cost`: planner cost helpers.
//! * `options`: reloption and GUC helpers.
//! * `recent`: where blocks sit in shared buffers.
//! * `report`: what scans did, for `quiver.explain_search`.

pub mod attrs;
pub mod build;
pub mod bulk;
pub mod check;
pub mod cost;
pub mod handler;
pub mod options;
pub mod overflow;
pub mod page;
pub mod payload;
pub mod recent;
pub mod report;
pub mod scan;
pub mod spill;
pub mod threads;
pub mod vacuum;

#[cfg(any(test, feature = "pg_test"))]
mod tests;
