//! Index access methods and the layer they share: `page` (buffers, Generic WAL, the free
//! space map, init forks), `payload` (opclass kernels, detoasting, dimension checks),
//! `recent` (where blocks sit in shared buffers), `spill` (build input beyond
//! maintenance_work_mem in temporary files), `threads` (the build's worker pool).

pub mod hnsw;
pub mod page;
pub mod payload;
pub mod recent;
pub mod spill;
pub mod threads;
