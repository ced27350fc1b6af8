//! Neighbour lists of the in-memory build graph.
//!
//! Level-0 lists, one per node, live in one slab of `room + 1` cells per node (a count, then
//! up to `room` ids), either on the heap or in a caller-supplied file mapped into memory, so a
//! build too large for its memory budget can keep its links in the page cache instead of in
//! process memory. The few nodes above level 0 keep their upper lists in ordinary vectors.
//! Nodes are guarded by striped locks: a lock per 1/4096 of the nodes.

use std::fs::File;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::RwLock;

use memmap2::MmapMut;

const STRIPES: usize = 4096;
const NO_UPPER: u32 = u32::MAX;

enum Slab {
    Heap(Box<[AtomicU32]>),
    Mapped(MmapMut),
}

impl Slab {
    fn cells(&self) -> &[AtomicU32] {
        match self {
            Slab::Heap(b) => b,
            // SAFETY: the mapping is page-aligned, private to this slab, and u32-sized cells
            // are only accessed through atomics (which have u32's layout).
            Slab::Mapped(m) => unsafe { std::slice::from_raw_parts(m.as_ptr() as *const AtomicU32, m.len() / 4) },
        }
    }
}

pub(crate) struct Links {
    stride: usize,
    slab: Slab,
    /// Per node: index into `upper`, or `NO_UPPER` for a level-0 node.
    upper_of: Vec<u32>,
    /// Lists of levels 1..=level for nodes above level 0.
    upper: Vec<RwLock<Vec<Vec<u32>>>>,
    locks: Box<[RwLock<()>]>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Links {{ nodes: {}, room: {} }}", self.upper_of.len(), self.stride - 1)
    }
}

/// Bytes of memory (or file) the level-0 slab takes per node for a level-0 list of `room` ids.
pub fn slab_bytes_per_node(room: usize) -> usize {
    (room + 1) * 4
}

impl Links {
    /// Empty lists for nodes with the given levels; level-0 lists hold up to `room` ids. With
    /// `file`, the slab lives in that file (which is resized; it must be private to the build).
    pub(crate) fn new(levels: &[u8], room: usize, file: Option<&File>) -> std::io::Result<Links> {
        let stride = room + 1;
        let cells = levels.len() * stride;
        let slab = match file {
            None => Slab::Heap((0..cells).map(|_| AtomicU32::new(0)).collect()),
            Some(f) if cells > 0 => {
                // A caller may size (and allocate) the file itself, so that running out of
                // disk shows as a write error there instead of a fault through the map.
                if f.metadata()?.len() < (cells * 4) as u64 {
                    f.set_len((cells * 4) as u64)?;
                }
                // SAFETY: the file is private to this build; the mapping is dropped with it.
                Slab::Mapped(unsafe { MmapMut::map_mut(f)? })
            }
            Some(_) => Slab::Heap(Box::new([])),
        };
        let mut upper_of = vec![NO_UPPER; levels.len()];
        let mut upper = Vec::new();
        for (i, &l) in levels.iter().enumerate() {
            if l > 0 {
                upper_of[i] = upper.len() as u32;
                upper.push(RwLock::new(vec![Vec::new(); l as usize]));
            }
        }
        let locks = (0..STRIPES).map(|_| RwLock::new(())).collect();
        Ok(Links { stride, slab, upper_of, upper, locks })
    }

    fn lock(&self, node: u32) -> &RwLock<()> {
        &self.locks[node as usize % STRIPES]
    }

    fn level0(&self, node: u32) -> &[AtomicU32] {
        let at = node as usize * self.stride;
        &self.slab.cells()[at..at + self.stride]
    }

    fn upper_lists(&self, node: u32) -> Option<&RwLock<Vec<Vec<u32>>>> {
        let k = *self.upper_of.get(node as usize)?;
        (k != NO_UPPER).then(|| &self.upper[k as usize])
    }

    /// Append `node`'s list at `level` to `out` (nothing above its level or for an unknown node).
    pub(crate) fn read<T: From<u32>>(&self, node: u32, level: usize, out: &mut Vec<T>) {
        if node as usize >= self.upper_of.len() {
            return;
        }
        if level == 0 {
            let _g = self.lock(node).read().unwrap_or_else(|e| e.into_inner());
            let cells = self.level0(node);
            let count = (cells[0].load(Ordering::Relaxed) as usize).min(self.stride - 1);
            out.extend(cells[1..=count].iter().map(|c| T::from(c.load(Ordering::Relaxed))));
        } else if let Some(u) = self.upper_lists(node) {
            let lists = u.read().unwrap_or_else(|e| e.into_inner());
            if let Some(l) = lists.get(level - 1) {
                out.extend(l.iter().map(|&x| T::from(x)));
            }
        }
    }

    /// Change `node`'s list at `level` with `f`, under the node's lock. Level-0 lists are cut
    /// to the slab's room. Returns `None` (without calling `f`) above the node's level.
    pub(crate) fn update<R>(&self, node: u32, level: usize, f: impl FnOnce(&mut Vec<u32>) -> R) -> Option<R> {
        if node as usize >= self.upper_of.len() {
            return None;
        }
        if level == 0 {
            let _g = self.lock(node).write().unwrap_or_else(|e| e.into_inner());
            let cells = self.level0(node);
            let count = (cells[0].load(Ordering::Relaxed) as usize).min(self.stride - 1);
            let mut list: Vec<u32> = cells[1..=count].iter().map(|c| c.load(Ordering::Relaxed)).collect();
            let r = f(&mut list);
            list.truncate(self.stride - 1);
            for (cell, &id) in cells[1..].iter().zip(&list) {
                cell.store(id, Ordering::Relaxed);
            }
            cells[0].store(list.len() as u32, Ordering::Relaxed);
            Some(r)
        } else {
            let mut lists = self.upper_lists(node)?.write().unwrap_or_else(|e| e.into_inner());
            lists.get_mut(level - 1).map(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(links: &Links) {
        links.update(0, 0, |l| l.extend([5, 6, 7]));
        links.update(2, 1, |l| l.push(9));
        links.update(2, 0, |l| l.extend(0..10)); // cut to the room of 4
        assert!(links.update(1, 1, |l| l.push(1)).is_none()); // node 1 has level 0 only
        let read = |n, l| {
            let mut out: Vec<u32> = Vec::new();
            links.read(n, l, &mut out);
            out
        };
        assert_eq!(read(0, 0), vec![5, 6, 7]);
        assert_eq!(read(1, 0), Vec::<u32>::new());
        assert_eq!(read(2, 0), vec![0, 1, 2, 3]);
        assert_eq!(read(2, 1), vec![9]);
        assert_eq!(read(2, 2), Vec::<u32>::new());
        assert_eq!(read(7, 0), Vec::<u32>::new()); // no such node
        links.update(0, 0, |l| l.retain(|&x| x != 6));
        assert_eq!(read(0, 0), vec![5, 7]);
    }

    #[test]
    fn heap_lists() {
        exercise(&Links::new(&[0, 0, 1], 4, None).unwrap());
    }

    #[test]
    fn file_backed_lists() {
        let path = std::env::temp_dir().join(format!("quiver-links-test-{}", std::process::id()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let links = Links::new(&[0, 0, 1], 4, Some(&file)).unwrap();
        exercise(&links);
        assert_eq!(file.metadata().unwrap().len(), 3 * 5 * 4);
    }
}
