//! Benchmark datasets: base vectors, query vectors and (optionally) exact ground truth.
//!
//! Sources: a directory of TEXMEX (`.fvecs`/`.ivecs`) or NumPy (`.npy`) files
//! ([`files::load_dir`]) or the seeded clustered generator ([`synthetic`]).

pub mod files;
pub mod jsonl;
pub mod npy;
pub mod synthetic;
pub mod vecs;

/// Row-major `n × dim` float32 matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    pub fn new(dim: usize, data: Vec<f32>) -> Self {
        debug_assert!(dim > 0 && data.len().is_multiple_of(dim));
        Matrix { dim, data }
    }

    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Ground-truth neighbour ids as stored in a file: `k` ids per query, nearest first.
#[derive(Clone, Debug, PartialEq)]
pub struct IdTable {
    pub k: usize,
    pub ids: Vec<i64>,
}

impl IdTable {
    pub fn row(&self, q: usize) -> &[i64] {
        &self.ids[q * self.k..(q + 1) * self.k]
    }

    pub fn len(&self) -> usize {
        self.ids.len().checked_div(self.k).unwrap_or(0)
    }
}

/// A loaded dataset, ready to benchmark.
pub struct Dataset {
    pub name: String,
    pub source: String,
    pub base: Matrix,
    pub queries: Matrix,
    /// Ground truth from the dataset's files, when it has one for the chosen metric.
    pub truth_file: Option<(String, IdTable)>,
    /// Vectors to insert in the insert workload (drawn like the base; not in `base`).
    pub extra: Matrix,
    /// The text each base vector embeds (`*base.jsonl`), loaded into a `body` column.
    pub texts: Option<Vec<String>>,
}
