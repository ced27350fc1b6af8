//! On-page layout of an hnsw index (quiver's own format, version 2).
//!
//! * Block 0, the meta page: one item holding [`Meta`]. Everything that shapes the pages (`m`,
//!   the dimensions) is read from here, never from reloptions, which `ALTER INDEX ... SET`
//!   can change after the build (a changed option takes effect at REINDEX).
//! * Node pages (kind [`KIND_NODES`]): one item per element, see below. Node pages stay node
//!   pages for the life of the index (a stale node id can only ever meet a node or nothing).
//! * Attribute directory pages (kind [`KIND_ATTRS`], multi-column indexes only): one item per
//!   graph element, its node id (block u32, offset u16) then its attribute blob, so that a
//!   filtered scan's exact pass tests every element's attributes from a few pages instead of
//!   reading every node. Pages are chained through their next-block field from the meta page's
//!   `attrs_head`; inserts add to the head page, or put a new page in front. Entries are only
//!   added: one whose node was freed (or reused) is recognised by checking the node itself.
//!   The build writes its entries (two pages or more) as one *sorted run*: consecutive pages in order of the first
//!   attribute column's key (`quiver_core::attrs::sort_key`; not for array columns), at the
//!   chain's end, followed by *fence pages* (kind [`KIND_FENCES`]: one item each, an array of
//!   the run's first keys per page, little-endian i64), so that a scan whose predicate narrows
//!   the first column reads only the run's pages that can hold passing entries. Inserts add
//!   pages in front of the run; VACUUM only removes entries, so the fences stay true. (When
//!   the first column has no order, an array, the run is written in build order and has no
//!   fence pages: it still marks which entries the key runs below cover.)
//! * Key runs (kind [`KIND_KEYS`], built for every attribute column the sorted run does not
//!   order, when the directory has two pages or more): for one column, the pairs (key, node
//!   id) of the build's entries sorted by key, [`KEYS_PER_PAGE`] to a page (one item of
//!   little-endian i64 pairs), consecutive blocks followed by their fence pages; an array
//!   column has one pair per element ([`quiver_core::attrs::column_keys`]). A scan whose
//!   predicate narrows that column reads the pages holding its keys, then those nodes (each
//!   node's own attributes decide), and the directory pages in front of the sorted run. Key
//!   runs are never written to after the build: a pair naming a node freed since reads
//!   nothing, one reused by another row is tested like any other entry.
//! * Overflow pages (kind [`KIND_OVERFLOW`]): one item each holding a chunk of a vector too
//!   large to sit inline in its node; chunks are chained through the pages' next-block field.
//!   Chains of freed nodes go onto a free list whose head is in the meta page.
//!
//! A node is identified by `(block << 16) | offset`. A node item is:
//!
//! ```text
//!  0  flags (u8): 1 deleted, 2 vector in overflow pages, 4 outside the graph, 8 NULL vector
//!  1  level (u8)
//!  2  heap TIDs in use (u8)
//!  3  heap TID slots (u8)
//!  4  payload length (u32)
//!  8  first overflow block (u32), or InvalidBlockNumber
//! 12  heap TID slots × (block u32, offset u16)
//!  …  per level 0..=level: count (u16) + capacity × (block u32, offset u16)
//!  …  padding to 8, then the vector payload (inline case)
//!  …  the attribute blob (multi-column indexes; to the end of the item)
//! ```
//!
//! One element holds every heap row whose vector is byte-for-byte the same (up to
//! [`MAX_TIDS`]), so duplicates are one graph node and stay findable. Elements "outside the
//! graph" hold rows the graph cannot order: NULL vectors, and under cosine distance vectors
//! of norm zero (whose distance to anything is NaN); scans return them after every graph row,
//! as a sequential scan sorts NaN and NULL last.
//!
//! The attribute blob holds the row's other index columns (`quiver_core::attrs`); an element
//! holds only rows whose vectors and attributes are both equal. Items of single-column
//! indexes end with the payload, so their blob is empty.
//!
//! Neighbour slots have a fixed capacity per level (2·m at level 0, m above), so adding or
//! replacing a neighbour rewrites bytes in place.

pub const MAGIC: u32 = 0x5156_484e; // "QVHN"
pub const VERSION: u32 = 2;
pub const KIND_META: u16 = 0x5101;
pub const KIND_NODES: u16 = 0x5102;
pub const KIND_OVERFLOW: u16 = 0x5103;
pub const KIND_ATTRS: u16 = 0x5104;
pub const KIND_FENCES: u16 = 0x5105;
pub const KIND_KEYS: u16 = 0x5106;

pub const FLAG_DELETED: u8 = 1;
pub const FLAG_OVERFLOW: u8 = 2;
pub const FLAG_OUTSIDE: u8 = 4;
pub const FLAG_NULL: u8 = 8;

/// Heap TIDs one element can hold.
pub const MAX_TIDS: usize = 255;
/// Largest vector payload an index page may claim (16,000 sparse elements are 128 KB):
/// anything larger read from a page is corruption, not a vector.
pub const MAX_PAYLOAD: usize = crate::am::common::overflow::MAX_VALUE;

const HEADER: usize = 12;
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

pub use crate::am::common::payload::HeapTid;

/// The meta page contents.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Meta {
    pub magic: u32,
    pub version: u32,
    pub m: u32,
    pub ef_construction: u32,
    /// Dimensions of the indexed column (its type modifier).
    pub dims: u32,
    pub entry_level: u32,
    pub entry: u64,
    pub has_entry: u32,
    /// Last node page, where inserts try first when the free space map has nothing.
    pub insert_page: u32,
    /// First page of the free overflow-page list (InvalidBlockNumber: empty).
    pub free_overflow: u32,
    /// First page of the attribute directory (0: none, as in single-column indexes).
    pub attrs_head: u32,
    /// Node items on the pages (graph, outside-the-graph and deleted ones).
    pub nodes: u64,
    /// The directory's sorted run (written by the build, in order of the first attribute
    /// column's key): its first block, its pages (consecutive blocks; 0: no sorted run) and
    /// the first of its fence pages.
    pub sorted_first: u32,
    pub sorted_pages: u32,
    pub fence_first: u32,
    pub _pad: u32,
    /// Entries the build wrote to the sorted run.
    pub sorted_entries: u64,
    /// Key runs by attribute column (0: the first after the vector); `pages` 0: none.
    pub key_runs: [SortedRun; MAX_KEY_RUNS],
}

/// Attribute columns a key run can be kept for (an index has at most 32 columns).
pub const MAX_KEY_RUNS: usize = 32;

/// Size of the meta item before the sorted directory run existed (such an index reads as one
/// without a sorted run).
const META_V2_SIZE: usize = 56;
const _: () = assert!(std::mem::offset_of!(Meta, sorted_first) == META_V2_SIZE);

/// Where the attribute directory's sorted run, or a key run, lies (see the module comment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SortedRun {
    /// First block; the run is `pages` consecutive blocks (0 pages: no run).
    pub first: u32,
    pub pages: u32,
    /// First fence page (`pages` keys over consecutive fence pages; 0: none, the directory
    /// run of an index whose first attribute column has no order).
    pub fence_first: u32,
    pub _pad: u32,
    /// Entries (pairs, for a key run) written to it by the build.
    pub entries: u64,
}

impl SortedRun {
    pub fn of(m: &Meta) -> SortedRun {
        SortedRun { first: m.sorted_first, pages: m.sorted_pages, fence_first: m.fence_first, _pad: 0, entries: m.sorted_entries }
    }

    /// The key run of attribute column `col`, if the build wrote one.
    pub fn key_run(m: &Meta, col: usize) -> Option<SortedRun> {
        m.key_runs.get(col).copied().filter(SortedRun::has_fences)
    }

    /// Whether it has fence pages (its pages are in key order).
    pub fn has_fences(&self) -> bool {
        self.pages > 0 && self.fence_first != 0
    }

    pub fn store(&self, m: &mut Meta) {
        m.sorted_first = self.first;
        m.sorted_pages = self.pages;
        m.fence_first = self.fence_first;
        m.sorted_entries = self.entries;
    }

    /// Whether block `blk` is one of its pages.
    pub fn contains(&self, blk: u32) -> bool {
        blk >= self.first && ((blk - self.first) as u64) < self.pages as u64
    }

    /// Fence pages it has.
    pub fn fence_pages(&self) -> u32 {
        (self.pages as usize).div_ceil(FENCES_PER_PAGE) as u32
    }
}

/// Keys on one fence page (8,000 bytes: one item on an 8 kB page).
pub const FENCES_PER_PAGE: usize = 1000;
/// (key, node id) pairs on one key-run page (8,000 bytes).
pub const KEYS_PER_PAGE: usize = 500;

/// The (key, node id) pairs of a key-run page's item (a damaged tail is ignored).
pub fn key_pairs(item: &[u8]) -> impl Iterator<Item = (i64, u64)> + '_ {
    item.chunks_exact(16).map(|c| {
        let (k, id) = c.split_at(8);
        (i64::from_le_bytes(k.try_into().unwrap_or_default()), u64::from_le_bytes(id.try_into().unwrap_or_default()))
    })
}

/// The item of a key-run page holding `pairs`.
pub fn key_page_item(pairs: &[(i64, u64)]) -> Vec<u8> {
    pairs.iter().flat_map(|&(k, id)| k.to_le_bytes().into_iter().chain(id.to_le_bytes())).collect()
}

impl Meta {
    pub fn to_bytes(&self) -> Vec<u8> {
        let p = self as *const Meta as *const u8;
        // SAFETY: Meta is repr(C) plain old data.
        unsafe { std::slice::from_raw_parts(p, std::mem::size_of::<Meta>()) }.to_vec()
    }

    /// The meta page item, or `Err(version)` for a page of another format version.
    pub fn from_bytes(b: &[u8]) -> Option<Result<Meta, u32>> {
        if b.len() < 8 {
            return None;
        }
        let word = |at: usize| u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if word(0) != MAGIC {
            return None;
        }
        if word(4) != VERSION || b.len() < META_V2_SIZE {
            return Some(Err(word(4)));
        }
        // an older, shorter item: the fields it lacks are zero
        let mut full = [0u8; std::mem::size_of::<Meta>()];
        let n = b.len().min(full.len());
        full[..n].copy_from_slice(&b[..n]);
        // SAFETY: Meta is plain old data, read unaligned from a buffer of its size.
        Some(Ok(unsafe { (full.as_ptr() as *const Meta).read_unaligned() }))
    }
}

/// An attribute directory item: node `id` and its attribute blob.
pub fn dir_item(id: u64, attrs: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(SLOT + attrs.len());
    v.extend_from_slice(&node_blk(id).to_ne_bytes());
    v.extend_from_slice(&node_off(id).to_ne_bytes());
    v.extend_from_slice(attrs);
    v
}

/// The node id and attribute blob of a directory item (`None`: too short to be one).
pub fn dir_entry(item: &[u8]) -> Option<(u64, &[u8])> {
    (item.len() >= SLOT).then(|| (node_id(rd_u32(item, 0), rd_u16(item, 4)), &item[SLOT..]))
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

    /// Byte offset of level `level`'s neighbour list in a node with `tids` TID slots.
    pub fn level_offset(&self, tids: usize, level: usize) -> usize {
        HEADER + SLOT * tids + (0..level).map(|l| 2 + SLOT * self.capacity(l)).sum::<usize>()
    }

    /// Byte offset of the inline payload.
    pub fn payload_offset(&self, tids: usize, level: usize) -> usize {
        (self.level_offset(tids, level + 1) + 7) & !7
    }

    pub fn item_size(&self, tids: usize, level: usize, payload_len: usize, overflow: bool) -> usize {
        self.payload_offset(tids, level) + if overflow { 0 } else { payload_len }
    }

    /// Size of an element outside the graph (no lists, no payload) with `tids` slots.
    pub fn outside_size(&self, tids: usize) -> usize {
        (HEADER + SLOT * tids + 7) & !7
    }
}

/// A node item, read or written in place. Every accessor is bounds-checked against the item,
/// so a damaged page yields odd values, never out-of-bounds reads.
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

/// What a new node item holds.
pub struct NewNode<'p> {
    pub tids: &'p [HeapTid],
    /// TID slots to reserve (at least `tids.len()`).
    pub tid_slots: usize,
    pub level: usize,
    /// `None`: an element outside the graph (no lists, no payload).
    pub payload: Option<&'p [u8]>,
    /// For an element outside the graph: its rows' vectors are NULL (else: they have no
    /// distance under the metric).
    pub null: bool,
    pub overflow_blk: Option<u32>,
    /// The rows' attribute blob (empty for a single-column index).
    pub attrs: &'p [u8],
}

impl NewNode<'_> {
    /// Bytes before the attribute blob.
    fn body_size(&self, layout: &NodeLayout) -> usize {
        match self.payload {
            None => layout.outside_size(self.tid_slots),
            Some(p) => layout.item_size(self.tid_slots, self.level, p.len(), self.overflow_blk.is_some()),
        }
    }

    pub fn size(&self, layout: &NodeLayout) -> usize {
        self.body_size(layout) + self.attrs.len()
    }
}

impl<'a> Node<'a> {
    /// Initialise a fresh node item in `bytes` (already sized by [`NewNode::size`]).
    pub fn init(bytes: &'a mut [u8], layout: NodeLayout, n: &NewNode<'_>) -> Node<'a> {
        bytes.fill(0);
        let slots = n.tid_slots.clamp(n.tids.len(), MAX_TIDS);
        let mut flags = 0;
        if n.overflow_blk.is_some() {
            flags |= FLAG_OVERFLOW;
        }
        if n.payload.is_none() {
            flags |= FLAG_OUTSIDE;
            if n.null {
                flags |= FLAG_NULL;
            }
        }
        bytes[0] = flags;
        bytes[1] = if n.payload.is_some() { n.level as u8 } else { 0 };
        bytes[2] = n.tids.len().min(slots) as u8;
        bytes[3] = slots as u8;
        let payload = n.payload.unwrap_or(&[]);
        wr(bytes, 4, &(payload.len() as u32).to_ne_bytes());
        wr(bytes, 8, &n.overflow_blk.unwrap_or(u32::MAX).to_ne_bytes());
        let mut node = Node { bytes, layout };
        for (i, t) in n.tids.iter().take(slots).enumerate() {
            node.set_tid(i, *t);
        }
        if n.payload.is_some() && n.overflow_blk.is_none() {
            let at = layout.payload_offset(slots, n.level);
            wr(node.bytes, at, payload);
        }
        let at = NewNode { tid_slots: slots, ..*n }.body_size(&layout);
        wr(node.bytes, at, n.attrs);
        node
    }

    pub fn flags(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0)
    }

    pub fn level(&self) -> usize {
        self.bytes.get(1).copied().unwrap_or(0) as usize
    }

    pub fn tid_count(&self) -> usize {
        (self.bytes.get(2).copied().unwrap_or(0) as usize).min(self.tid_slots())
    }

    pub fn tid_slots(&self) -> usize {
        let slots = self.bytes.get(3).copied().unwrap_or(0) as usize;
        // never beyond the item
        slots.min(self.bytes.len().saturating_sub(HEADER) / SLOT)
    }

    pub fn tid(&self, i: usize) -> HeapTid {
        let at = HEADER + i * SLOT;
        (rd_u32(self.bytes, at), rd_u16(self.bytes, at + 4))
    }

    pub fn tids(&self) -> impl Iterator<Item = HeapTid> + '_ {
        (0..self.tid_count()).map(|i| self.tid(i))
    }

    fn set_tid(&mut self, i: usize, t: HeapTid) {
        let at = HEADER + i * SLOT;
        wr(self.bytes, at, &t.0.to_ne_bytes());
        wr(self.bytes, at + 4, &t.1.to_ne_bytes());
    }

    /// Add a heap TID in a free slot; false when every slot is taken.
    pub fn push_tid(&mut self, t: HeapTid) -> bool {
        let n = self.tid_count();
        if n >= self.tid_slots() {
            return false;
        }
        self.set_tid(n, t);
        self.bytes[2] = (n + 1) as u8;
        true
    }

    /// Keep only the TIDs for which `keep` is true; returns how many were removed.
    pub fn retain_tids(&mut self, mut keep: impl FnMut(HeapTid) -> bool) -> usize {
        let n = self.tid_count();
        let mut kept = 0;
        for i in 0..n {
            let t = self.tid(i);
            if keep(t) {
                self.set_tid(kept, t);
                kept += 1;
            }
        }
        if let Some(c) = self.bytes.get_mut(2) {
            *c = kept as u8;
        }
        n - kept
    }

    pub fn is_deleted(&self) -> bool {
        self.flags() & FLAG_DELETED != 0
    }

    /// An element outside the graph: no lists, no vector.
    pub fn is_outside(&self) -> bool {
        self.flags() & FLAG_OUTSIDE != 0
    }

    /// An element outside the graph whose rows have NULL vectors.
    pub fn is_null(&self) -> bool {
        self.flags() & (FLAG_OUTSIDE | FLAG_NULL) == FLAG_OUTSIDE | FLAG_NULL
    }

    pub fn set_deleted(&mut self) {
        if let Some(f) = self.bytes.first_mut() {
            *f |= FLAG_DELETED;
        }
    }

    pub fn payload_len(&self) -> usize {
        rd_u32(self.bytes, 4) as usize
    }

    pub fn overflow_block(&self) -> Option<u32> {
        (self.flags() & FLAG_OVERFLOW != 0).then(|| rd_u32(self.bytes, 8))
    }

    /// The inline payload (empty if stored in overflow pages, outside the graph, or truncated).
    pub fn inline_payload(&self) -> &[u8] {
        if self.flags() & (FLAG_OVERFLOW | FLAG_OUTSIDE) != 0 {
            return &[];
        }
        let at = self.layout.payload_offset(self.tid_slots(), self.level());
        self.bytes.get(at..at + self.payload_len()).unwrap_or(&[])
    }

    /// The attribute blob: the bytes after the payload (empty for single-column indexes).
    pub fn attrs(&self) -> &[u8] {
        let slots = self.tid_slots();
        let end = if self.is_outside() {
            self.layout.outside_size(slots)
        } else if self.flags() & FLAG_OVERFLOW != 0 {
            self.layout.payload_offset(slots, self.level())
        } else {
            self.layout.payload_offset(slots, self.level()).saturating_add(self.payload_len())
        };
        self.bytes.get(end..).unwrap_or(&[])
    }

    /// Whether the item is long enough for its header, TIDs and lists.
    pub fn is_well_formed(&self) -> bool {
        if self.bytes.len() < HEADER {
            return false;
        }
        if self.is_outside() {
            return self.bytes.len() >= HEADER + SLOT * self.tid_slots() && self.level() == 0;
        }
        let slots = self.bytes.get(3).copied().unwrap_or(0) as usize;
        self.level() <= quiver_core::hnsw::MAX_LEVEL
            && self.payload_len() <= MAX_PAYLOAD
            && self.bytes.len() >= self.layout.payload_offset(slots, self.level())
    }

    pub fn neighbor_count(&self, level: usize) -> usize {
        if level > self.level() || self.is_outside() {
            return 0;
        }
        (rd_u16(self.bytes, self.layout.level_offset(self.tid_slots(), level)) as usize).min(self.layout.capacity(level))
    }

    pub fn neighbors(&self, level: usize, out: &mut Vec<u64>) {
        let base = self.layout.level_offset(self.tid_slots(), level) + 2;
        for i in 0..self.neighbor_count(level) {
            let at = base + i * SLOT;
            if at + SLOT > self.bytes.len() {
                break;
            }
            out.push(node_id(rd_u32(self.bytes, at), rd_u16(self.bytes, at + 4)));
        }
    }

    /// Every neighbour list, level 0 first.
    pub fn all_neighbors(&self) -> Vec<Vec<u64>> {
        (0..=self.level())
            .map(|l| {
                let mut v = Vec::new();
                self.neighbors(l, &mut v);
                v
            })
            .collect()
    }

    /// Replace the neighbour list at `level` (truncated to capacity).
    pub fn set_neighbors(&mut self, level: usize, ids: &[u64]) {
        if level > self.level() || self.is_outside() {
            return;
        }
        let n = ids.len().min(self.layout.capacity(level));
        let base = self.layout.level_offset(self.tid_slots(), level);
        wr(self.bytes, base, &(n as u16).to_ne_bytes());
        for (i, &id) in ids[..n].iter().enumerate() {
            let at = base + 2 + i * SLOT;
            wr(self.bytes, at, &node_blk(id).to_ne_bytes());
            wr(self.bytes, at + 4, &node_off(id).to_ne_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_round_trip() {
        let layout = NodeLayout { m: 4 };
        let payload = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let tids = [(7, 3), (9, 1)];
        let n = NewNode { tids: &tids, tid_slots: 3, level: 1, payload: Some(&payload), overflow_blk: None, null: false, attrs: b"xyz" };
        let mut item = vec![0u8; n.size(&layout)];
        let mut node = Node::init(&mut item, layout, &n);
        node.set_neighbors(0, &[node_id(1, 2), node_id(3, 4)]);
        node.set_neighbors(1, &[node_id(5, 6)]);
        assert_eq!(node.inline_payload(), &payload);
        assert_eq!(node.attrs(), b"xyz");
        assert!(node.push_tid((11, 2)));
        assert!(!node.push_tid((12, 2)));
        assert_eq!(node.tids().collect::<Vec<_>>(), vec![(7, 3), (9, 1), (11, 2)]);
        assert_eq!(node.retain_tids(|t| t.0 != 9), 1);
        assert_eq!(node.tids().collect::<Vec<_>>(), vec![(7, 3), (11, 2)]);
        let mut l = Vec::new();
        node.neighbors(0, &mut l);
        assert_eq!(l, vec![node_id(1, 2), node_id(3, 4)]);
        l.clear();
        node.neighbors(1, &mut l);
        assert_eq!(l, vec![node_id(5, 6)]);
        assert!(node.is_well_formed());
        assert_eq!(node.attrs(), b"xyz");
        // outside the graph, and with the payload in overflow pages
        for (payload, overflow_blk) in [(None, None), (Some(&payload[..]), Some(9))] {
            let n = NewNode { tids: &tids, tid_slots: 2, level: 0, payload, overflow_blk, null: true, attrs: b"ab" };
            let mut item = vec![0u8; n.size(&layout)];
            let node = Node::init(&mut item, layout, &n);
            assert_eq!(node.attrs(), b"ab");
            assert!(node.inline_payload().is_empty());
        }
    }

    #[test]
    fn truncated_items_read_safely() {
        let layout = NodeLayout { m: 16 };
        let mut bytes = vec![0u8, 3, 200, 200, 0xff, 0xff, 0xff, 0x7f];
        let node = Node { bytes: &mut bytes, layout };
        assert!(!node.is_well_formed());
        assert_eq!(node.tid_count(), 0);
        let mut l = Vec::new();
        node.neighbors(2, &mut l);
        assert!(l.is_empty());
        assert!(node.inline_payload().is_empty());
    }
}
