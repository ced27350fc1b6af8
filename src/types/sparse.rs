//! The on-disk form of `sparsevec`: varlena header, int32 dimensions, int32 number of
//! non-zeros, int32 reserved (zero), int32 indices[nnz] (0-based, ascending), float4 values[nnz].

use super::varlena::alloc_varlena;
use quiver_core::SparseVec;

const HEADER: usize = 16;

pub struct Sparse {
    ptr: *mut u8,
}

impl Sparse {
    pub fn from_raw(ptr: *mut u8) -> Self {
        Sparse { ptr }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    fn field(&self, n: usize) -> i32 {
        unsafe { (self.ptr.add(4 + 4 * n) as *const i32).read_unaligned() }
    }

    pub fn dim(&self) -> usize {
        self.field(0).max(0) as usize
    }

    pub fn nnz(&self) -> usize {
        self.field(1).max(0) as usize
    }

    pub fn indices(&self) -> &[i32] {
        unsafe { std::slice::from_raw_parts(self.ptr.add(HEADER) as *const i32, self.nnz()) }
    }

    pub fn values(&self) -> &[f32] {
        unsafe {
            std::slice::from_raw_parts(
                self.ptr.add(HEADER + 4 * self.nnz()) as *const f32,
                self.nnz(),
            )
        }
    }

    /// Build a value from validated parts (indices ascending and in range, values non-zero).
    pub fn from_parts(dim: usize, indices: &[i32], values: &[f32]) -> Self {
        let nnz = indices.len();
        let ptr = alloc_varlena(HEADER + 8 * nnz);
        unsafe {
            (ptr.add(4) as *mut i32).write_unaligned(dim as i32);
            (ptr.add(8) as *mut i32).write_unaligned(nnz as i32);
            std::ptr::copy_nonoverlapping(indices.as_ptr(), ptr.add(HEADER) as *mut i32, nnz);
            std::ptr::copy_nonoverlapping(
                values.as_ptr(),
                ptr.add(HEADER + 4 * nnz) as *mut f32,
                nnz,
            );
        }
        Sparse { ptr }
    }

    pub fn from_core(v: &SparseVec) -> Self {
        Self::from_parts(v.dim as usize, &v.indices, &v.values)
    }

    pub fn to_core(&self) -> SparseVec {
        SparseVec {
            dim: self.dim() as u32,
            indices: self.indices().to_vec(),
            values: self.values().to_vec(),
        }
    }

    /// Build from a dense slice, keeping the non-zero elements.
    pub fn from_dense(dense: impl Iterator<Item = f32>, dim: usize) -> Self {
        let mut indices = Vec::new();
        let mut values = Vec::new();
        for (i, x) in dense.enumerate() {
            if x != 0.0 {
                indices.push(i as i32);
                values.push(x);
            }
        }
        Self::from_parts(dim, &indices, &values)
    }
}

super::varlena::varlena_type_glue!(Sparse, "sparsevec");

/// A detoasted value of PostgreSQL's built-in `bit` / `bit varying` type:
/// varlena header, int32 bit length, then the bits, most significant bit first, padded with zeros.
pub struct Bits {
    ptr: *mut u8,
}

impl Bits {
    pub fn from_raw(ptr: *mut u8) -> Self {
        Bits { ptr }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn bit_len(&self) -> usize {
        unsafe { (self.ptr.add(4) as *const i32).read_unaligned().max(0) as usize }
    }

    pub fn bytes(&self) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.ptr.add(8), self.bit_len().div_ceil(8)) }
    }

    /// A new bit string of `bit_len` bits, built from a predicate per bit.
    pub fn from_fn(bit_len: usize, mut bit: impl FnMut(usize) -> bool) -> Self {
        let nbytes = bit_len.div_ceil(8);
        let ptr = alloc_varlena(8 + nbytes);
        unsafe {
            (ptr.add(4) as *mut i32).write_unaligned(bit_len as i32);
            let data = std::slice::from_raw_parts_mut(ptr.add(8), nbytes);
            for i in 0..bit_len {
                if bit(i) {
                    data[i / 8] |= 0x80 >> (i % 8);
                }
            }
        }
        Bits { ptr }
    }
}

super::varlena::varlena_type_glue!(Bits, "bit");
