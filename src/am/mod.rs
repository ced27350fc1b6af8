//! Index access methods. `page` is the page/WAL layer they all share.

pub mod hnsw;
pub mod page;
