//! The page layer shared by every quiver index access method.
//!
//! * [`Buf`]: a pinned and locked buffer, released on drop (also during error unwinding).
//! * [`Wal`]: a Generic WAL record covering up to four buffers; changes made through the page
//!   images it hands out are applied and logged atomically by [`Wal::finish`], discarded on drop.
//! * Page helpers: initialisation with a small special area (page kind + next block), adding
//!   items, reading items as byte slices.
//!
//! Every change to an index page goes through [`Wal`], so it is crash-safe and replicated.

use pgrx::pg_sys;

pub const BLCKSZ: usize = pg_sys::BLCKSZ as usize;
/// Special area: page kind (u16), flags (u16), next block (u32).
pub const SPECIAL_SIZE: usize = 8;
/// Largest item that fits alone on a page with our special area (MAXALIGNed down).
pub const MAX_ITEM_SIZE: usize =
    (BLCKSZ - std::mem::size_of::<pg_sys::PageHeaderData>() - SPECIAL_SIZE - 4 - 8) & !7;

/// Buffer lock modes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Share,
    Exclusive,
}

/// A pinned, locked buffer.
pub struct Buf {
    buf: pg_sys::Buffer,
}

impl Buf {
    /// Read block `blkno` of the main fork and lock it.
    pub fn read(rel: pg_sys::Relation, blkno: u32, lock: Lock) -> Buf {
        Self::read_fork(rel, pg_sys::ForkNumber::MAIN_FORKNUM, blkno, lock)
    }

    pub fn read_fork(rel: pg_sys::Relation, fork: pg_sys::ForkNumber::Type, blkno: u32, lock: Lock) -> Buf {
        Self::read_with(rel, fork, blkno, lock, std::ptr::null_mut())
    }

    /// Read block `blkno` through a buffer access strategy (VACUUM's ring, so a pass over a
    /// large index does not evict the rest of shared buffers), and lock it.
    pub fn read_with(
        rel: pg_sys::Relation,
        fork: pg_sys::ForkNumber::Type,
        blkno: u32,
        lock: Lock,
        strategy: pg_sys::BufferAccessStrategy,
    ) -> Buf {
        unsafe {
            let buf = pg_sys::ReadBufferExtended(rel, fork, blkno, pg_sys::ReadBufferMode::RBM_NORMAL, strategy);
            pg_sys::LockBuffer(buf, lock_mode(lock));
            Buf { buf }
        }
    }

    /// Lock a buffer this backend has already pinned; the pin passes to the returned `Buf`.
    pub fn lock_pinned(buf: pg_sys::Buffer, lock: Lock) -> Buf {
        unsafe { pg_sys::LockBuffer(buf, lock_mode(lock)) };
        Buf { buf }
    }

    /// Append a new block to `fork`, returned exclusively locked.
    pub fn extend(rel: pg_sys::Relation, fork: pg_sys::ForkNumber::Type) -> Buf {
        Buf { buf: unsafe { crate::compat::extend_locked(rel, fork) } }
    }

    pub fn raw(&self) -> pg_sys::Buffer {
        self.buf
    }

    pub fn blkno(&self) -> u32 {
        unsafe { pg_sys::BufferGetBlockNumber(self.buf) }
    }

    /// The shared page (read-only use unless modified through [`Wal`]).
    pub fn page(&self) -> pg_sys::Page {
        unsafe { pg_sys::BufferGetPage(self.buf) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        unsafe { pg_sys::UnlockReleaseBuffer(self.buf) }
    }
}

fn lock_mode(lock: Lock) -> i32 {
    match lock {
        Lock::Share => pg_sys::BUFFER_LOCK_SHARE as i32,
        Lock::Exclusive => pg_sys::BUFFER_LOCK_EXCLUSIVE as i32,
    }
}

/// The relation's name (for messages).
pub fn rel_name(rel: pg_sys::Relation) -> String {
    unsafe { pgrx::name_data_to_str(&(*(*rel).rd_rel).relname).to_string() }
}

/// `<method> index "<name>"`, how messages about an index's content start.
pub fn index_label(rel: pg_sys::Relation) -> String {
    let am = unsafe {
        let name = pg_sys::get_am_name((*(*rel).rd_rel).relam);
        if name.is_null() { "quiver".to_string() } else { std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned() }
    };
    format!("{am} index \"{}\"", rel_name(rel))
}

/// WAL-log every page of `fork` as a full image. Used for the init fork of an unlogged
/// index: its relation is not WAL-logged (Generic WAL skips it), yet the init fork must
/// survive a crash and reach standbys, because the main fork is reset from it at recovery
/// and at promotion. The buffers are dirty and permanent, so checkpoints write them too.
pub fn log_fork(rel: pg_sys::Relation, fork: pg_sys::ForkNumber::Type) {
    unsafe {
        let n = pg_sys::RelationGetNumberOfBlocksInFork(rel, fork);
        if n > 0 {
            pg_sys::log_newpage_range(rel, fork, 0, n, true);
        }
    }
}

/// Whether changes to `rel` go to the WAL (a permanent relation; unlogged and temporary ones
/// are reset or dropped after a crash instead).
pub fn needs_wal(rel: pg_sys::Relation) -> bool {
    unsafe { (*(*rel).rd_rel).relpersistence == pg_sys::RELPERSISTENCE_PERMANENT as std::ffi::c_char }
}

/// The free space map of an index: pages with room for new items, recorded by VACUUM.
/// Hints only (not WAL-logged, as in PostgreSQL): a page taken from it is checked again
/// under its lock.
pub mod fsm {
    use pgrx::pg_sys;

    /// A page that probably has `need` bytes free, if any.
    pub fn page_with_space(rel: pg_sys::Relation, need: usize) -> Option<u32> {
        let blk = unsafe { pg_sys::GetPageWithFreeSpace(rel, need) };
        (blk != pg_sys::InvalidBlockNumber).then_some(blk)
    }

    pub fn record(rel: pg_sys::Relation, blk: u32, free: usize) {
        unsafe { pg_sys::RecordPageWithFreeSpace(rel, blk, free) }
    }

    /// Propagate recorded values to the map's upper levels (after a VACUUM pass).
    pub fn vacuum(rel: pg_sys::Relation) {
        unsafe { pg_sys::FreeSpaceMapVacuum(rel) }
    }
}

/// Number of blocks in the main fork.
pub fn nblocks(rel: pg_sys::Relation) -> u32 {
    unsafe { pg_sys::RelationGetNumberOfBlocksInFork(rel, pg_sys::ForkNumber::MAIN_FORKNUM) }
}

/// The relation's block count, asked of the storage manager once and again only when a block
/// at or past the known count turns up. An index never shrinks while it is open, so a walk over
/// many pages costs one `lseek` instead of one per page.
pub struct Blocks {
    rel: pg_sys::Relation,
    known: std::cell::Cell<u32>,
}

impl Blocks {
    pub fn of(rel: pg_sys::Relation) -> Blocks {
        Blocks { rel, known: std::cell::Cell::new(nblocks(rel)) }
    }

    /// Whether `blk` lies within the relation (as of now).
    pub fn contains(&self, blk: u32) -> bool {
        if blk < self.known.get() {
            return true;
        }
        self.known.set(nblocks(self.rel));
        blk < self.known.get()
    }

    /// The block count last seen: a bound on the length of any chain walked so far.
    pub fn known(&self) -> u32 {
        self.known.get()
    }
}

/// A Generic WAL record in progress.
pub struct Wal {
    state: *mut pg_sys::GenericXLogState,
}

impl Wal {
    pub fn start(rel: pg_sys::Relation) -> Wal {
        Wal { state: unsafe { pg_sys::GenericXLogStart(rel) } }
    }

    /// Register an exclusively locked buffer; returns the page image to modify.
    /// `full_image` logs the whole page (use for freshly initialised pages).
    pub fn register(&mut self, buf: &Buf, full_image: bool) -> pg_sys::Page {
        let flags = if full_image { pg_sys::GENERIC_XLOG_FULL_IMAGE as i32 } else { 0 };
        unsafe { pg_sys::GenericXLogRegisterBuffer(self.state, buf.raw(), flags) }
    }

    /// Apply the changes to the shared buffers and write the WAL record.
    pub fn finish(mut self) {
        unsafe { pg_sys::GenericXLogFinish(self.state) };
        self.state = std::ptr::null_mut();
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        if !self.state.is_null() {
            unsafe { pg_sys::GenericXLogAbort(self.state) }
        }
    }
}

/// Initialise `page` with our special area.
pub fn init_page(page: pg_sys::Page, kind: u16) {
    unsafe {
        pg_sys::PageInit(page, BLCKSZ, SPECIAL_SIZE);
        let sp = pg_sys::PageGetSpecialPointer(page) as *mut u8;
        std::ptr::write_bytes(sp, 0, SPECIAL_SIZE);
        (sp as *mut u16).write_unaligned(kind);
        (sp.add(4) as *mut u32).write_unaligned(pg_sys::InvalidBlockNumber);
    }
}

/// The page kind stored by [`init_page`] (0 for a new, all-zero page).
pub fn page_kind(page: pg_sys::Page) -> u16 {
    unsafe {
        if pg_sys::PageIsNew(page) {
            return 0;
        }
        (pg_sys::PageGetSpecialPointer(page) as *const u16).read_unaligned()
    }
}

pub fn next_block(page: pg_sys::Page) -> u32 {
    unsafe { (pg_sys::PageGetSpecialPointer(page).add(4) as *const u32).read_unaligned() }
}

pub fn set_next_block(page: pg_sys::Page, next: u32) {
    unsafe { (pg_sys::PageGetSpecialPointer(page).add(4) as *mut u32).write_unaligned(next) }
}

/// Add an item; `None` if it does not fit.
pub fn add_item(page: pg_sys::Page, item: &[u8]) -> Option<u16> {
    let off = unsafe {
        pg_sys::PageAddItemExtended(page, item.as_ptr() as *mut std::ffi::c_char as pg_sys::Item, item.len(), 0, 0)
    };
    (off != 0).then_some(off)
}

/// Remove item `off`, keeping every other item's offset (so ids naming them stay valid) and
/// letting a later [`add_item`] reuse the line pointer.
pub fn delete_item(page: pg_sys::Page, off: u16) {
    unsafe {
        pg_sys::PageIndexTupleDeleteNoCompact(page, off);
        let header = page as *mut pg_sys::PageHeaderData;
        (*header).pd_flags |= pg_sys::PD_HAS_FREE_LINES as u16;
    }
}

/// Replace item `off` by `item`, which may be larger (when the page has room); false when it
/// does not fit. Other items keep their offsets.
pub fn overwrite_item(page: pg_sys::Page, off: u16, item: &[u8]) -> bool {
    unsafe { pg_sys::PageIndexTupleOverwrite(page, off, item.as_ptr() as pg_sys::Item, item.len()) }
}

/// Free space for one more item.
pub fn free_space(page: pg_sys::Page) -> usize {
    unsafe { pg_sys::PageGetFreeSpace(page) }
}

/// Whether an item of `len` bytes fits on the page (items take MAXALIGNed room; the free
/// space already counts a new line pointer).
pub fn fits(page: pg_sys::Page, len: usize) -> bool {
    free_space(page) >= (len + 7) & !7
}

pub fn max_offset(page: pg_sys::Page) -> u16 {
    unsafe { pg_sys::PageGetMaxOffsetNumber(page) }
}

/// The bytes of item `off` (1-based), or `None` if there is no such normal item.
///
/// # Safety
/// The slice aliases the page: it must not outlive the buffer lock.
pub unsafe fn item<'a>(page: pg_sys::Page, off: u16) -> Option<&'a mut [u8]> {
    unsafe {
        if off == 0 || off > max_offset(page) {
            return None;
        }
        let iid = pg_sys::PageGetItemId(page, off);
        let lp = *iid;
        if lp.lp_flags() != pg_sys::LP_NORMAL || lp.lp_len() == 0 {
            return None;
        }
        // a damaged line pointer must not lead outside the page's item space
        let (start, len) = (lp.lp_off() as usize, lp.lp_len() as usize);
        let special = (*(page as *const pg_sys::PageHeaderData)).pd_special as usize;
        if start < std::mem::size_of::<pg_sys::PageHeaderData>() || start + len > special.min(BLCKSZ) {
            return None;
        }
        let ptr = (page as *mut u8).add(start);
        Some(std::slice::from_raw_parts_mut(ptr, len))
    }
}

/// Append a new page of `kind` holding one item (a meta page) to `fork`, as one WAL record;
/// returns its block number.
pub fn append_item_page(rel: pg_sys::Relation, fork: pg_sys::ForkNumber::Type, kind: u16, item: &[u8]) -> u32 {
    let buf = Buf::extend(rel, fork);
    let mut wal = Wal::start(rel);
    let p = wal.register(&buf, true);
    init_page(p, kind);
    add_item(p, item);
    wal.finish();
    buf.blkno()
}
