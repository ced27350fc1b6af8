//! How an ivfflat index lies on its pages.
//!
//! * Block 0, the meta page: one [`Meta`] item.
//! * Head pages ([`KIND_HEADS`]): one [`Head`] item per list, in list order: the `lists`
//!   k-means lists, then the list of rows without a distance (zero vectors under cosine),
//!   then the list of NULL vectors. A head holds the list's first page (fixed at build, so
//!   scans may cache it), the page where inserts start, and the list's centroid (inline, or in
//!   an overflow chain when it does not fit on a page).
//! * List pages ([`KIND_LIST`]): [`Entry`] items, each a heap TID and its vector; each page
//!   names the next page of its list in its special area.
//! * Overflow pages ([`KIND_OVERFLOW`]): chunks of vectors larger than a page
//!   (`crate::am::common::overflow`); free ones ([`KIND_FREE`]) wait in the free space map.
//!
//! Head item (24-byte header, then the centroid payload when inline):
//! ```text
//!  0 flags u8 (1 centroid in overflow pages, 2 list of rows without distance, 4 NULL rows)
//!  4 first list page u32     8 insert page u32     12 centroid length u32
//! 16 centroid overflow block u32 (or InvalidBlockNumber)    20 reserved
//! ```
//! Entry item (12-byte header, then the payload inline, or the first overflow block u32;
//! then, in a multi-column index, the row's attribute blob, `crate::am::common::attrs`):
//! ```text
//!  0 flags u8 (1 payload in overflow pages)   1 reserved   2 heap offset u16
//!  4 heap block u32    8 payload length u32
//! ```

use crate::am::common::payload::HeapTid;

pub const MAGIC: u32 = 0x5156_4946; // "QVIF"
pub const VERSION: u32 = 1;
pub const KIND_META: u16 = 0x5201;
pub const KIND_HEADS: u16 = 0x5202;
pub const KIND_LIST: u16 = 0x5203;
pub const KIND_OVERFLOW: u16 = 0x5204;
pub const KIND_FREE: u16 = 0x5205;

pub const META_BLOCK: u32 = 0;

pub const HEAD_OVERFLOW: u8 = 1;
pub const HEAD_NAN: u8 = 2;
pub const HEAD_NULL: u8 = 4;
pub const HEAD_SIZE: usize = 24;

pub const ENTRY_OVERFLOW: u8 = 1;
pub const ENTRY_SIZE: usize = 12;

/// The meta page contents.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Meta {
    pub magic: u32,
    pub version: u32,
    pub dims: u32,
    /// k-means lists (the two lists for rows without a distance come after them).
    pub lists: u32,
    /// First head page; heads fill `head_pages` consecutive blocks.
    pub heads_blk: u32,
    pub head_pages: u32,
    /// Random at every build: identifies this build's centroids in a backend's cache.
    pub build_id: u64,
}

fn word(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

impl Meta {
    pub fn to_bytes(&self) -> Vec<u8> {
        let p = self as *const Meta as *const u8;
        // SAFETY: Meta is repr(C) plain old data.
        unsafe { std::slice::from_raw_parts(p, std::mem::size_of::<Meta>()) }.to_vec()
    }

    /// The meta item, or `Err(version)` for another format version; `None`: not a meta item.
    pub fn from_bytes(b: &[u8]) -> Option<Result<Meta, u32>> {
        if b.len() < 8 || word(b, 0) != MAGIC {
            return None;
        }
        if word(b, 4) != VERSION || b.len() < std::mem::size_of::<Meta>() {
            return Some(Err(word(b, 4)));
        }
        // SAFETY: length checked; Meta is plain old data, read unaligned.
        Some(Ok(unsafe { (b.as_ptr() as *const Meta).read_unaligned() }))
    }

    /// Lists including the two for rows without a distance.
    pub fn all_lists(&self) -> usize {
        self.lists as usize + 2
    }
}

/// A list head as read from its page.
#[derive(Clone, Copy, Debug)]
pub struct Head {
    pub flags: u8,
    pub first: u32,
    pub insert: u32,
    pub centroid_len: u32,
    pub overflow: u32,
}

impl Head {
    pub fn parse(b: &[u8]) -> Option<Head> {
        (b.len() >= HEAD_SIZE).then(|| Head {
            flags: b[0],
            first: word(b, 4),
            insert: word(b, 8),
            centroid_len: word(b, 12),
            overflow: word(b, 16),
        })
    }

    pub fn write(&self, out: &mut Vec<u8>, centroid_inline: &[u8]) {
        out.clear();
        out.extend_from_slice(&[self.flags, 0, 0, 0]);
        for w in [self.first, self.insert, self.centroid_len, self.overflow, 0] {
            out.extend_from_slice(&w.to_ne_bytes());
        }
        out.extend_from_slice(centroid_inline);
    }

    /// Set the insert page of the head item `b` in place.
    pub fn set_insert(b: &mut [u8], blk: u32) {
        b[8..12].copy_from_slice(&blk.to_ne_bytes());
    }
}

/// An entry item on a list page.
pub struct Entry<'a> {
    pub bytes: &'a [u8],
}

impl Entry<'_> {
    pub fn is_well_formed(&self) -> bool {
        let b = self.bytes;
        b.len() >= ENTRY_SIZE
            && if b[0] & ENTRY_OVERFLOW != 0 { b.len() >= ENTRY_SIZE + 4 } else { b.len() >= ENTRY_SIZE + self.len() }
    }

    pub fn tid(&self) -> HeapTid {
        let b = self.bytes;
        (word(b, 4), u16::from_ne_bytes([b[2], b[3]]))
    }

    pub fn len(&self) -> usize {
        word(self.bytes, 8) as usize
    }

    /// The first overflow block, when the payload lives in overflow pages.
    pub fn overflow(&self) -> Option<u32> {
        (self.bytes[0] & ENTRY_OVERFLOW != 0).then(|| word(self.bytes, ENTRY_SIZE))
    }

    /// The inline payload (empty for an overflowed one).
    pub fn inline(&self) -> &[u8] {
        if self.overflow().is_some() {
            return &[];
        }
        let end = (ENTRY_SIZE + self.len()).min(self.bytes.len());
        &self.bytes[ENTRY_SIZE..end]
    }

    /// The attribute blob after the payload (empty in a single-column index).
    pub fn attrs(&self) -> &[u8] {
        let end = if self.overflow().is_some() { ENTRY_SIZE + 4 } else { ENTRY_SIZE + self.len() };
        self.bytes.get(end..).unwrap_or(&[])
    }

    /// Write an entry: `payload` inline, or a reference to `overflow`, then `attrs`.
    pub fn write(out: &mut Vec<u8>, tid: HeapTid, payload_len: usize, inline: Option<&[u8]>, overflow: Option<u32>, attrs: &[u8]) {
        out.clear();
        out.push(if overflow.is_some() { ENTRY_OVERFLOW } else { 0 });
        out.push(0);
        out.extend_from_slice(&tid.1.to_ne_bytes());
        out.extend_from_slice(&tid.0.to_ne_bytes());
        out.extend_from_slice(&(payload_len as u32).to_ne_bytes());
        match overflow {
            Some(blk) => out.extend_from_slice(&blk.to_ne_bytes()),
            None => out.extend_from_slice(inline.unwrap_or(&[])),
        }
        out.extend_from_slice(attrs);
    }
}

/// Whether an entry with a payload of `len` bytes and an attribute blob of `attrs` bytes keeps
/// the payload in overflow pages (the blob, at most `attrs::MAX_BLOB` bytes, stays in the entry).
pub fn entry_overflows(len: usize, attrs: usize) -> bool {
    ENTRY_SIZE + len + attrs > crate::am::common::page::MAX_ITEM_SIZE
}

/// Whether a head with a centroid of `len` bytes keeps it in overflow pages (heads share
/// pages; a centroid over a quarter of a page goes to its own chain).
pub fn head_overflows(len: usize) -> bool {
    HEAD_SIZE + len > crate::am::common::page::MAX_ITEM_SIZE / 4
}
