//! On-page layout of an hnsw index (quiver's own format).
//!
//! * Block 0, the meta page: one item holding [`Meta`].
//! * Node pages (kind [`KIND_NODES`]): one item per graph node, see [`NodeLayout`].
//! * Overflow pages (kind [`KIND_OVERFLOW`]): one item each holding a chunk of a vector too
//!   large to sit inline in its node; chunks are chained through the pages' next-block field.
//!
//! A node is identified by `(block << 16) | offset`. A node item is:
//!
//! ```text
//!  0  heap TID: block (u32) + offset (u16)      6 bytes
//!  6  level (u8)
//!  7  flags (u8): 1 = deleted, 2 = vector stored in overflow pages
//!  8  payload length (u32)
//! 12  first overflow block (u32), or InvalidBlockNumber
//! 16  per level 0..=level: count (u16) + capacity × (block u32, offset u16)
//!  …  padding to 8, then the vector payload (inline case)
//! ```
//!
//! Neighbour slots have a fixed capacity per level (2·m at level 0, m above), so adding or
//! replacing a neighbour rewrites bytes in place.

pub const MAGIC: u32 = 0x5156_484e; // "QVHN"
pub const VERSION: u32 = 1;
pub const KIND_META: u16 = 0x5101;
pub const KIND_NODES: u16 = 0x5102;
pub const KIND_OVERFLOW: u16 = 0x5103;

pub const FLAG_DELETED: u8 = 1;
pub const FLAG_OVERFLOW: u8 = 2;

const HEADER: usize = 16;
const SLOT: usize = 6;

pub fn node_id(blk: u32, off: u16) -> u64 {
    ((blk as u64) << 16) | off as u64
}

pub fn node_blk(id: u64) -> u32 {
    (id >> 16) as u32
}

pub fn node_off(id: u64) -> u16 {
    (id & 0xffff) as u16
}

/// The meta page contents.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Meta {
    pub magic: u32,
    pub version: u32,
    pub m: u32,
    pub ef_construction: u32,
    pub entry: u64,
    pub entry_level: u32,
    /// Last node page, where inserts try first.
    pub insert_page: u32,
    pub has_entry: u32,
    pub _pad: u32,
    pub nodes: u64,
}

impl Meta {
    pub fn to_bytes(&self) -> Vec<u8> {
        let p = self as *const Meta as *const u8;
        unsafe { std::slice::from_raw_parts(p, std::mem::size_of::<Meta>()) }.to_vec()
    }

    pub fn from_bytes(b: &[u8]) -> Option<Meta> {
        if b.len() < std::mem::size_of::<Meta>() {
            return None;
        }
        let meta = unsafe { (b.as_ptr() as *const Meta).read_unaligned() };
        (meta.magic == MAGIC).then_some(meta)
    }
}

/// Sizes and offsets of node items for a given `m`.
#[derive(Clone, Copy, Debug)]
pub struct NodeLayout {
    pub m: usize,
}

impl NodeLayout {
    /// Neighbour slots at `level`: exactly the graph's degree bound.
    pub fn capacity(&self, level: usize) -> usize {
        quiver_core::hnsw::HnswParams { m: self.m, ef_construction: 0 }.max_neighbors(level)
    }

    /// Byte offset of level `level`'s neighbour list.
    pub fn level_offset(&self, level: usize) -> usize {
        HEADER + (0..level).map(|l| 2 + SLOT * self.capacity(l)).sum::<usize>()
    }

    /// Byte offset of the inline payload for a node of `level`.
    pub fn payload_offset(&self, level: usize) -> usize {
        (self.level_offset(level + 1) + 7) & !7
    }

    pub fn item_size(&self, level: usize, payload_len: usize, overflow: bool) -> usize {
        self.payload_offset(level) + if overflow { 0 } else { payload_len }
    }
}

/// A node item, read or written in place.
pub struct Node<'a> {
    pub bytes: &'a mut [u8],
    pub layout: NodeLayout,
}

fn rd_u16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |s| u16::from_ne_bytes([s[0], s[1]]))
}

fn rd_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

fn wr(b: &mut [u8], at: usize, v: &[u8]) {
    if let Some(dst) = b.get_mut(at..at + v.len()) {
        dst.copy_from_slice(v);
    }
}

impl<'a> Node<'a> {
    /// Initialise a fresh node item in `bytes` (already sized by [`NodeLayout::item_size`]).
    pub fn init(bytes: &'a mut [u8], layout: NodeLayout, heap: (u32, u16), level: usize, payload: &[u8], overflow_blk: Option<u32>) -> Node<'a> {
        bytes.fill(0);
        wr(bytes, 0, &heap.0.to_ne_bytes());
        wr(bytes, 4, &heap.1.to_ne_bytes());
        bytes[6] = level as u8;
        bytes[7] = if overflow_blk.is_some() { FLAG_OVERFLOW } else { 0 };
        wr(bytes, 8, &(payload.len() as u32).to_ne_bytes());
        wr(bytes, 12, &overflow_blk.unwrap_or(u32::MAX).to_ne_bytes());
        if overflow_blk.is_none() {
            let at = layout.payload_offset(level);
            wr(bytes, at, payload);
        }
        Node { bytes, layout }
    }

    pub fn heap_tid(&self) -> (u32, u16) {
        (rd_u32(self.bytes, 0), rd_u16(self.bytes, 4))
    }

    pub fn level(&self) -> usize {
        self.bytes.get(6).copied().unwrap_or(0) as usize
    }

    pub fn flags(&self) -> u8 {
        self.bytes.get(7).copied().unwrap_or(0)
    }

    pub fn is_deleted(&self) -> bool {
        self.flags() & FLAG_DELETED != 0
    }

    pub fn set_deleted(&mut self) {
        if let Some(f) = self.bytes.get_mut(7) {
            *f |= FLAG_DELETED;
        }
    }

    pub fn payload_len(&self) -> usize {
        rd_u32(self.bytes, 8) as usize
    }

    pub fn overflow_block(&self) -> Option<u32> {
        (self.flags() & FLAG_OVERFLOW != 0).then(|| rd_u32(self.bytes, 12))
    }

    /// The inline payload (empty if stored in overflow pages or truncated).
    pub fn inline_payload(&self) -> &[u8] {
        if self.flags() & FLAG_OVERFLOW != 0 {
            return &[];
        }
        let at = self.layout.payload_offset(self.level());
        self.bytes.get(at..at + self.payload_len()).unwrap_or(&[])
    }

    pub fn neighbor_count(&self, level: usize) -> usize {
        if level > self.level() {
            return 0;
        }
        (rd_u16(self.bytes, self.layout.level_offset(level)) as usize).min(self.layout.capacity(level))
    }

    pub fn neighbors(&self, level: usize, out: &mut Vec<u64>) {
        let base = self.layout.level_offset(level) + 2;
        for i in 0..self.neighbor_count(level) {
            let at = base + i * SLOT;
            out.push(node_id(rd_u32(self.bytes, at), rd_u16(self.bytes, at + 4)));
        }
    }

    /// Replace the neighbour list at `level` (truncated to capacity).
    pub fn set_neighbors(&mut self, level: usize, ids: &[u64]) {
        if level > self.level() {
            return;
        }
        let n = ids.len().min(self.layout.capacity(level));
        let base = self.layout.level_offset(level);
        wr(self.bytes, base, &(n as u16).to_ne_bytes());
        for (i, &id) in ids[..n].iter().enumerate() {
            let at = base + 2 + i * SLOT;
            wr(self.bytes, at, &node_blk(id).to_ne_bytes());
            wr(self.bytes, at + 4, &node_off(id).to_ne_bytes());
        }
    }
}
