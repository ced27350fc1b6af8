//! Index access methods. `page` is the page/WAL layer they all share;
//! `recent` remembers where their blocks sit in shared buffers.

pub mod hnsw;
pub mod page;
pub mod recent;
