//! Index access methods. `page` is the page/WAL layer they all share;
//! `recent` remembers where their blocks sit in shared buffers; `spill` holds build input
//! beyond maintenance_work_mem in a temporary file.

pub mod hnsw;
pub mod page;
pub mod recent;
pub mod spill;
