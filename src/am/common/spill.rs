//! Build input beyond maintenance_work_mem: PostgreSQL temporary files, read through memory maps.
//!
//! Index builds collect every vector before building the graph on all cores. When the vectors
//! no longer fit in `maintenance_work_mem`, they go to a temporary file and are read back
//! through a memory map, so the kernel's page cache holds them as far as memory allows.
//!
//! The files are PostgreSQL's own temporary files (`OpenTemporaryFile`): they live in
//! `temp_tablespaces`, count against `temp_file_limit`, are removed at the end of the
//! transaction, after an error, and at restart after a crash. Every byte is written with
//! `FileWrite` on the backend's thread before the file is mapped, so a full disk is an ERROR
//! there, never a SIGBUS from a write through a map of a sparse file.

use memmap2::Mmap;
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

/// Every pushed item starts at a multiple of this (so `f32` views of payloads are aligned).
const ALIGN: usize = 8;
const WRITE_BUFFER: usize = 1 << 20;

/// A PostgreSQL temporary file, closed (and deleted) on drop.
pub struct TempFile {
    file: pg_sys::File,
    len: u64,
}

fn io_error(what: &str) -> ! {
    let e = std::io::Error::last_os_error();
    let code = if e.raw_os_error() == Some(28) { PgSqlErrorCode::ERRCODE_DISK_FULL } else { PgSqlErrorCode::ERRCODE_IO_ERROR };
    crate::error::raise_code(code, format!("could not {what} temporary file for index build: {e}"))
}

impl TempFile {
    /// A new temporary file in one of `temp_tablespaces` (or the default tablespace).
    pub fn create() -> TempFile {
        let file = unsafe {
            pg_sys::PrepareTempTablespaces();
            pg_sys::OpenTemporaryFile(false)
        };
        if file < 0 {
            io_error("create");
        }
        TempFile { file, len: 0 }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append `bytes`. Raises an ERROR on a full disk or beyond `temp_file_limit`.
    pub fn append(&mut self, bytes: &[u8]) {
        let mut done = 0;
        while done < bytes.len() {
            let rest = &bytes[done..];
            let n = crate::compat::file_write(self.file, rest, self.len, pg_sys::WaitEventIO::WAIT_EVENT_BUFFILE_WRITE);
            if n == 0 {
                crate::error::raise_code(
                    PgSqlErrorCode::ERRCODE_DISK_FULL,
                    "could not write to temporary file for index build: no space left on device",
                );
            }
            if n < 0 {
                io_error("write to");
            }
            done += n as usize;
            self.len += n as u64;
        }
    }

    /// Append `len` zero bytes (allocating the file's blocks now).
    pub fn append_zeros(&mut self, len: u64) {
        let zeros = vec![0u8; WRITE_BUFFER];
        let mut left = len;
        while left > 0 {
            let n = left.min(WRITE_BUFFER as u64) as usize;
            self.append(&zeros[..n]);
            left -= n as u64;
            pgrx::check_for_interrupts!();
        }
    }

    /// A `std::fs::File` on the same open file (a duplicated descriptor), for mapping it.
    pub fn std_file(&self) -> std::fs::File {
        use std::os::fd::BorrowedFd;
        let fd = unsafe { pg_sys::FileGetRawDesc(self.file) };
        if fd < 0 {
            io_error("open");
        }
        // SAFETY: fd is open for as long as this TempFile; the clone owns its own descriptor.
        match unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned() {
            Ok(owned) => std::fs::File::from(owned),
            Err(_) => io_error("duplicate the descriptor of"),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        unsafe { pg_sys::FileClose(self.file) }
    }
}

enum Store {
    Memory(Vec<u8>),
    Writing { file: TempFile, buf: Vec<u8> },
    Mapped { _file: TempFile, map: Mmap },
    /// A spilled arena of zero bytes (nothing to map).
    Empty,
}

/// A build-time byte arena that moves to a temporary file when it outgrows its memory budget.
pub struct Arena {
    store: Store,
    len: usize,
}

impl Default for Arena {
    fn default() -> Self {
        Arena { store: Store::Memory(Vec::new()), len: 0 }
    }
}

impl Arena {
    /// An arena with room for `bytes` reserved up front (address space only: pages are touched
    /// as they fill), so that growing never copies what is already there. Without the room
    /// (an allocation refused), the arena grows as usual.
    pub fn with_capacity(bytes: usize) -> Arena {
        let mut v = Vec::new();
        if bytes > 0 {
            let _ = v.try_reserve_exact(bytes);
        }
        Arena { store: Store::Memory(v), len: 0 }
    }

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
            Store::Writing { file, buf } => {
                buf.extend_from_slice(bytes);
                buf.extend_from_slice(&ZEROS[..padded - bytes.len()]);
                if buf.len() >= WRITE_BUFFER {
                    file.append(buf);
                    buf.clear();
                }
            }
            Store::Mapped { .. } | Store::Empty => {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "index build arena is already sealed")
            }
        }
        self.len += padded;
        at
    }

    /// Move the contents to a temporary file; later pushes append to it.
    pub fn spill(&mut self) {
        let Store::Memory(v) = &mut self.store else { return };
        let mut file = TempFile::create();
        file.append(v);
        self.store = Store::Writing { file, buf: Vec::with_capacity(WRITE_BUFFER) };
    }

    /// Finish writing; after this the arena is read-only.
    pub fn seal(&mut self) {
        match std::mem::replace(&mut self.store, Store::Empty) {
            Store::Writing { mut file, buf } => {
                file.append(&buf);
                if self.len > 0 {
                    let f = file.std_file();
                    // SAFETY: the file is private to this backend and never written again.
                    let map = match unsafe { Mmap::map(&f) } {
                        Ok(m) => m,
                        Err(_) => io_error("map"),
                    };
                    self.store = Store::Mapped { _file: file, map };
                }
            }
            other => self.store = other,
        }
    }

    /// Every byte pushed (call [`Arena::seal`] first if the arena spilled).
    pub fn bytes(&self) -> &[u8] {
        match &self.store {
            Store::Memory(v) => v,
            Store::Mapped { map, .. } => map,
            Store::Empty => &[],
            Store::Writing { .. } => {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "index build arena read before it was sealed")
            }
        }
    }
}
