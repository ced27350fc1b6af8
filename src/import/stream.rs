//! Streaming a vector file into COPY FROM as binary COPY data.
//!
//! `BeginCopyFrom` takes a data callback without a user pointer, so the stream being
//! read lives in a backend-local slot for the duration of one `CopyFrom` (imports do not
//! nest: a trigger that starts another import gets an error).

use std::cell::RefCell;
use std::ffi::CString;

use pgrx::prelude::*;
use quiver_core::import::{in_file, Format, VectorFile};
use quiver_core::{f16, Error, ErrorKind};

use crate::error::raise;

#[derive(Clone, Copy)]
pub enum VectorType {
    Vector,
    Halfvec,
}

#[derive(Clone, Copy)]
pub enum IdKind {
    Int2,
    Int4,
    Int8,
}

impl IdKind {
    fn width(self) -> usize {
        match self {
            IdKind::Int2 => 2,
            IdKind::Int4 => 4,
            IdKind::Int8 => 8,
        }
    }
}

/// The binary COPY signature, flags and header-extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Rows converted per refill of the buffer.
const BATCH_ROWS: usize = 256;

/// What the file's rows become: the vector column's type and the optional id column.
pub struct Spec {
    pub path: String,
    pub column: String,
    pub vtype: VectorType,
    pub id: Option<IdKind>,
    pub id_start: i64,
}

pub struct Stream {
    map: memmap2::Mmap,
    format: Format,
    spec: Spec,
    rows: usize,
    dim: usize,
    /// The next row to convert.
    next: usize,
    buf: Vec<u8>,
    /// Bytes of `buf` already handed to COPY.
    pos: usize,
    started: bool,
    finished: bool,
    values: Vec<f32>,
}

impl Stream {
    pub fn new(map: memmap2::Mmap, format: Format, spec: Spec) -> Stream {
        let (rows, dim) = match VectorFile::open(&map, format) {
            Ok(f) => (f.rows(), f.dim()),
            Err(e) => raise(in_file(&spec.path, e)),
        };
        Stream {
            map,
            format,
            spec,
            rows,
            dim,
            next: 0,
            buf: Vec::new(),
            pos: 0,
            started: false,
            finished: false,
            values: Vec::new(),
        }
    }

    /// Bytes of binary COPY data the whole file becomes.
    fn total_bytes(&self) -> u64 {
        let elem = match self.spec.vtype {
            VectorType::Vector => 4,
            VectorType::Halfvec => 2,
        };
        let id = self.spec.id.map_or(0, |k| 4 + k.width());
        let row = 2 + id + 4 + 4 + self.dim * elem;
        (HEADER.len() + 2) as u64 + self.rows as u64 * row as u64
    }

    fn fail(&self, e: Error) -> ! {
        let mut e = in_file(&self.spec.path, e);
        e.message = e.message.replacen(": row ", &format!(", column \"{}\": row ", self.spec.column), 1);
        raise(e)
    }

    /// Appends the next batch of rows (or the header / trailer) to `buf`.
    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if !self.started {
            self.buf.extend_from_slice(HEADER);
            self.started = true;
        }
        if self.next >= self.rows {
            if !self.finished {
                self.buf.extend_from_slice(&(-1i16).to_be_bytes());
                self.finished = true;
            }
            return;
        }
        let file =
            VectorFile::open(&self.map, self.format).unwrap_or_else(|e| raise(in_file(&self.spec.path, e)));
        let end = (self.next + BATCH_ROWS).min(self.rows);
        let mut buf = std::mem::take(&mut self.buf);
        let mut values = std::mem::take(&mut self.values);
        for i in self.next..end {
            if let Err(e) = file.row_f32(i, &mut values) {
                self.fail(e);
            }
            let fields: i16 = if self.spec.id.is_some() { 2 } else { 1 };
            buf.extend_from_slice(&fields.to_be_bytes());
            if let Some(kind) = self.spec.id {
                if let Err(e) = push_id(&mut buf, kind, i, self.spec.id_start) {
                    raise(in_file(&self.spec.path, e));
                }
            }
            if let Err(e) = push_vector(&mut buf, self.spec.vtype, &values, i) {
                self.fail(e);
            }
        }
        self.buf = buf;
        self.values = values;
        self.next = end;
    }

    /// Copies up to `max` bytes into `out`; 0 at the end.
    fn read(&mut self, out: &mut [u8]) -> usize {
        let mut n = 0;
        while n < out.len() {
            if self.pos >= self.buf.len() {
                if self.finished {
                    break;
                }
                self.refill();
                if self.buf.is_empty() {
                    break;
                }
            }
            let take = (self.buf.len() - self.pos).min(out.len() - n);
            out[n..n + take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            n += take;
        }
        n
    }
}

/// Appends row `i`'s id field (its 0-based position plus `start`).
fn push_id(buf: &mut Vec<u8>, kind: IdKind, i: usize, start: i64) -> Result<(), Error> {
    let out_of_range = || {
        Error::new(
            ErrorKind::NumericValueOutOfRange,
            format!("row {}: the id {} does not fit the id column", i + 1, i as i128 + start as i128),
        )
    };
    let id = (i as i64).checked_add(start).ok_or_else(out_of_range)?;
    buf.extend_from_slice(&(kind.width() as i32).to_be_bytes());
    match kind {
        IdKind::Int2 => buf.extend_from_slice(&i16::try_from(id).map_err(|_| out_of_range())?.to_be_bytes()),
        IdKind::Int4 => buf.extend_from_slice(&i32::try_from(id).map_err(|_| out_of_range())?.to_be_bytes()),
        IdKind::Int8 => buf.extend_from_slice(&id.to_be_bytes()),
    }
    Ok(())
}

/// Appends a vector field in the binary format of `vtype` (pgvector's wire format).
fn push_vector(buf: &mut Vec<u8>, vtype: VectorType, values: &[f32], i: usize) -> Result<(), Error> {
    let dim = values.len();
    let elem = match vtype {
        VectorType::Vector => 4,
        VectorType::Halfvec => 2,
    };
    buf.extend_from_slice(&((4 + dim * elem) as i32).to_be_bytes());
    buf.extend_from_slice(&(dim as i16).to_be_bytes());
    buf.extend_from_slice(&0i16.to_be_bytes());
    match vtype {
        VectorType::Vector => {
            let start = buf.len();
            buf.resize(start + dim * 4, 0);
            for (c, v) in buf[start..].chunks_exact_mut(4).zip(values) {
                c.copy_from_slice(&v.to_be_bytes());
            }
        }
        VectorType::Halfvec => {
            for (j, &v) in values.iter().enumerate() {
                let h = f16::from_f32(v);
                if h.is_infinite() {
                    return Err(Error::new(
                        ErrorKind::NumericValueOutOfRange,
                        format!("row {}, element {}: {v} is out of range for type halfvec", i + 1, j + 1),
                    ));
                }
                buf.extend_from_slice(&h.to_bits().to_be_bytes());
            }
        }
    }
    Ok(())
}

thread_local! {
    static ACTIVE: RefCell<Option<Stream>> = const { RefCell::new(None) };
}

/// Clears the active stream however the COPY ends.
struct Active;

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| {
            if let Ok(mut a) = a.try_borrow_mut() {
                *a = None;
            }
        });
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn read_cb(
    outbuf: *mut std::ffi::c_void,
    _minread: std::ffi::c_int,
    maxread: std::ffi::c_int,
) -> std::ffi::c_int {
    if outbuf.is_null() || maxread <= 0 {
        return 0;
    }
    // SAFETY: COPY hands a buffer of `maxread` writable bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(outbuf as *mut u8, maxread as usize) };
    ACTIVE.with(|a| match a.borrow_mut().as_mut() {
        Some(s) => s.read(out) as std::ffi::c_int,
        None => 0,
    })
}

/// Runs COPY FROM into `relid`'s `columns` with `stream` as its data; returns the rows loaded.
pub fn copy_into(relid: pg_sys::Oid, columns: &[String], stream: Stream) -> i64 {
    let total = stream.total_bytes();
    ACTIVE.with(|a| {
        let mut a = a.borrow_mut();
        if a.is_some() {
            raise(Error::new(ErrorKind::FeatureNotSupported, "import_vectors cannot run inside another import"));
        }
        *a = Some(stream);
    });
    let _active = Active;
    unsafe {
        let lock = pg_sys::RowExclusiveLock as pg_sys::LOCKMODE;
        let rel = pg_sys::table_open(relid, lock);
        let pstate = pg_sys::make_parsestate(std::ptr::null_mut());
        pg_sys::addRangeTableEntryForRelation(pstate, rel, lock, std::ptr::null_mut(), false, false);
        let mut names: *mut pg_sys::List = std::ptr::null_mut();
        for c in columns {
            let c =
                CString::new(c.as_str()).unwrap_or_else(|_| raise(Error::param("a column name contains a NUL byte")));
            names = pg_sys::lappend(names, pg_sys::makeString(pg_sys::pstrdup(c.as_ptr())).cast());
        }
        let format = pg_sys::makeDefElem(
            c"format".as_ptr().cast_mut(),
            pg_sys::makeString(pg_sys::pstrdup(c"binary".as_ptr())).cast(),
            -1,
        );
        let options = pg_sys::lappend(std::ptr::null_mut(), format.cast());
        let cstate = pg_sys::BeginCopyFrom(
            pstate,
            rel,
            std::ptr::null_mut(),
            std::ptr::null(),
            false,
            Some(read_cb),
            names,
            options,
        );
        pg_sys::pgstat_progress_update_param(pg_sys::PROGRESS_COPY_BYTES_TOTAL as i32, total as i64);
        let processed = pg_sys::CopyFrom(cstate);
        pg_sys::EndCopyFrom(cstate);
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        processed as i64
    }
}
