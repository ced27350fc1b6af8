//! The on-disk form shared by `vector` (f32 elements) and `halfvec` (f16 elements):
//! a 4-byte varlena header, int16 dimensions, int16 reserved (zero), then the elements.

use super::varlena::alloc_varlena;
use crate::error::OrRaise;
use quiver_core::f16;
use std::marker::PhantomData;

const HEADER: usize = 8;

/// An element type of a dense vector.
pub trait Element: Copy + 'static {
    /// SQL type name, used in messages.
    const TYPE_NAME: &'static str;
    /// Maximum number of dimensions.
    const MAX_DIM: usize;
    fn to_f32(self) -> f32;
    fn from_f32(v: f32) -> Self;
}

impl Element for f32 {
    const TYPE_NAME: &'static str = "vector";
    const MAX_DIM: usize = quiver_core::limits::VECTOR_MAX_DIM;
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        v
    }
}

impl Element for f16 {
    const TYPE_NAME: &'static str = "halfvec";
    const MAX_DIM: usize = quiver_core::limits::HALFVEC_MAX_DIM;
    #[inline]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
}

/// A detoasted, palloc'd dense vector value.
pub struct Dense<T: Element> {
    ptr: *mut u8,
    _elem: PhantomData<T>,
}

pub type Vector = Dense<f32>;
pub type HalfVec = Dense<f16>;

impl<T: Element> Dense<T> {
    pub fn from_raw(ptr: *mut u8) -> Self {
        Dense { ptr, _elem: PhantomData }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// A zero-filled vector of `dim` dimensions. Checks the dimension limits.
    pub fn zeroed(dim: usize) -> Self {
        quiver_core::text::check_dim(T::TYPE_NAME, dim, T::MAX_DIM).or_raise();
        let ptr = alloc_varlena(HEADER + dim * std::mem::size_of::<T>());
        unsafe { (ptr.add(4) as *mut i16).write_unaligned(dim as i16) };
        Dense::from_raw(ptr)
    }

    pub fn from_slice(values: &[T]) -> Self {
        let mut v = Self::zeroed(values.len());
        v.as_mut_slice().copy_from_slice(values);
        v
    }

    /// Build from f32 values, converting each element.
    pub fn from_f32_iter(dim: usize, values: impl Iterator<Item = f32>) -> Self {
        let mut v = Self::zeroed(dim);
        for (slot, x) in v.as_mut_slice().iter_mut().zip(values) {
            *slot = T::from_f32(x);
        }
        v
    }

    pub fn dim(&self) -> usize {
        let d = unsafe { (self.ptr.add(4) as *const i16).read_unaligned() };
        d.max(0) as usize
    }

    pub fn as_slice(&self) -> &[T] {
        // Detoasted varlenas are 4-byte aligned (palloc is MAXALIGNed), so the
        // elements at offset 8 are properly aligned for f32 and f16.
        unsafe { std::slice::from_raw_parts(self.ptr.add(HEADER) as *const T, self.dim()) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(HEADER) as *mut T, self.dim()) }
    }

    pub fn to_f32_vec(&self) -> Vec<f32> {
        self.as_slice().iter().map(|x| x.to_f32()).collect()
    }
}

super::varlena::varlena_type_glue!(Dense<f32>, "vector");
super::varlena::varlena_type_glue!(Dense<f16>, "halfvec");
