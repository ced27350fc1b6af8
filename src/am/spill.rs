//! A build-time byte arena that moves to a temporary file when it outgrows its memory budget.
//!
//! Index builds collect every vector before building the graph on all cores. When the vectors
//! no longer fit in `maintenance_work_mem`, they go to an anonymous temporary file (created
//! under the data directory's `base/pgsql_tmp` and unlinked at once, so nothing is left behind
//! after an error or a crash) and are read back through a memory map. The kernel's page cache
//! then holds them as far as memory allows, without counting against the backend's budget.
//! [`temp_file`] also serves other build structures that move out of memory (graph links).

use memmap2::Mmap;
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use std::fs::File;
use std::io::{BufWriter, Write};

/// Every pushed item starts at a multiple of this (so `f32` views of payloads are aligned).
const ALIGN: usize = 8;

enum Store {
    Memory(Vec<u8>),
    Writing(BufWriter<File>),
    Mapped(Mmap),
    /// A spilled arena of zero bytes (nothing to map).
    Empty,
}

pub struct Arena {
    store: Store,
    len: usize,
}

fn io_error(what: &str, e: std::io::Error) -> ! {
    crate::error::raise_code(PgSqlErrorCode::ERRCODE_IO_ERROR, format!("could not {what} temporary file for index build: {e}"))
}

impl Default for Arena {
    fn default() -> Self {
        Arena { store: Store::Memory(Vec::new()), len: 0 }
    }
}

impl Arena {
    pub fn is_spilled(&self) -> bool {
        !matches!(self.store, Store::Memory(_))
    }

    /// Append `bytes` (padded to 8); returns their offset.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let at = self.len;
        let padded = bytes.len().next_multiple_of(ALIGN);
        const ZEROS: [u8; ALIGN] = [0; ALIGN];
        match &mut self.store {
            Store::Memory(v) => {
                v.extend_from_slice(bytes);
                v.extend_from_slice(&ZEROS[..padded - bytes.len()]);
            }
            Store::Writing(w) => {
                if let Err(e) = w.write_all(bytes).and_then(|_| w.write_all(&ZEROS[..padded - bytes.len()])) {
                    io_error("write", e)
                }
            }
            Store::Mapped(_) | Store::Empty => {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "index build arena is already sealed")
            }
        }
        self.len += padded;
        at
    }

    /// Move the contents to a temporary file; later pushes append to it.
    pub fn spill(&mut self) {
        let Store::Memory(v) = &self.store else { return };
        let file = temp_file();
        let mut w = BufWriter::with_capacity(1 << 20, file);
        if let Err(e) = w.write_all(v) {
            io_error("write", e)
        }
        self.store = Store::Writing(w);
    }

    /// Finish writing; after this the arena is read-only.
    pub fn seal(&mut self) {
        match std::mem::replace(&mut self.store, Store::Empty) {
            Store::Writing(w) => {
                let file = w.into_inner().unwrap_or_else(|e| io_error("write", e.into_error()));
                if self.len > 0 {
                    // SAFETY: the file is private to this backend (unlinked, never written again).
                    let map = unsafe { Mmap::map(&file) }.unwrap_or_else(|e| io_error("map", e));
                    self.store = Store::Mapped(map);
                }
            }
            other => self.store = other,
        }
    }

    /// Every byte pushed (call [`Arena::seal`] first if the arena spilled).
    pub fn bytes(&self) -> &[u8] {
        match &self.store {
            Store::Memory(v) => v,
            Store::Mapped(m) => m,
            Store::Empty => &[],
            Store::Writing(_) => {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "index build arena read before it was sealed")
            }
        }
    }
}

/// A new temporary file under `base/pgsql_tmp` of the data directory, already unlinked.
pub fn temp_file() -> File {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let data_dir = unsafe { std::ffi::CStr::from_ptr(pg_sys::DataDir) }.to_string_lossy().into_owned();
    let dir = std::path::Path::new(&data_dir).join("base").join("pgsql_tmp");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        io_error("create directory for", e)
    }
    let path = dir.join(format!(
        "pgsql_tmpquiver{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap_or_else(|e| io_error("create", e));
    if let Err(e) = std::fs::remove_file(&path) {
        io_error("unlink", e)
    }
    file
}
