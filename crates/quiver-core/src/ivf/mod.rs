//! Inverted-file (IVF) index building blocks, independent of PostgreSQL.
//!
//! An IVF index partitions vectors into lists, one per centroid of a coarse
//! quantizer; a search scans only the lists whose centroids are nearest to the
//! query. This module trains that quantizer:
//!
//! * [`kmeans`] — k-means (k-means++ seeding, parallel Lloyd iterations) with an
//!   L2 or a spherical (inner-product / cosine) objective, deterministic for a
//!   given seed whatever the thread count; [`nearest`] / [`assign`] map vectors
//!   to lists with the same arithmetic as training.

mod dots;
pub mod kmeans;

pub use kmeans::{
    assign, nearest, nearest_with_norms, squared_norms, train, KMeansError, KMeansParams, Objective,
};
