//! Rendering of a finished `quiver-bench ann` run: the markdown summary users read to
//! compare engines, and the recall@10-vs-QPS chart (PNG and SVG).

pub mod markdown;
pub mod plot;

pub use markdown::markdown;
pub use plot::plot;
