//! The measured phases of a run, each against one target connection.

pub mod build;
pub mod filtered;
pub mod insert;
pub mod load;
pub mod query;
