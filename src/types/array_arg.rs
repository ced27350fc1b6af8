//! Array arguments (`integer[]`, `real[]`, `double precision[]`, `cstring[]`) read in their
//! PostgreSQL form, so their shape (number of dimensions, NULL elements) is checked before
//! any element is used.
//!
//! pgrx's `Array<T>` flattens a multi-dimensional array into one sequence, which made
//! `'{{1,2},{3,4}}'::int[]::vector` a 4-dimensional vector; this type keeps the shape.

use crate::error::raise_code;
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use std::marker::PhantomData;

/// An element type of an array argument: its fixed size is `size_of::<Self>()`.
pub trait ArrayElem: Copy + 'static {
    /// The element type's OID.
    const OID: pg_sys::Oid;
}

impl ArrayElem for i32 {
    const OID: pg_sys::Oid = pg_sys::INT4OID;
}
impl ArrayElem for f32 {
    const OID: pg_sys::Oid = pg_sys::FLOAT4OID;
}
impl ArrayElem for f64 {
    const OID: pg_sys::Oid = pg_sys::FLOAT8OID;
}

/// Marker for `cstring[]` (the argument of a `typmod_in` function); its elements are not
/// read here, only handed to PostgreSQL.
#[derive(Clone, Copy)]
pub struct CStringElem;

/// Marker for `numeric[]`: its elements are converted to `double precision` before use
/// ([`ArrayArg::to_float8`]).
#[derive(Clone, Copy)]
pub struct NumericElem;

/// A detoasted array argument whose elements are `T`.
pub struct ArrayArg<T> {
    ptr: *mut pg_sys::ArrayType,
    _elem: PhantomData<T>,
}

const MAXALIGN: usize = pg_sys::MAXIMUM_ALIGNOF as usize;

impl<T> ArrayArg<T> {
    pub fn as_ptr(&self) -> *mut pg_sys::ArrayType {
        self.ptr
    }

    /// Number of dimensions: 0 for an empty array.
    pub fn ndim(&self) -> usize {
        unsafe { (*self.ptr).ndim.max(0) as usize }
    }

    fn dims(&self) -> &[i32] {
        unsafe {
            let dims = (self.ptr as *const u8).add(size_of::<pg_sys::ArrayType>()) as *const i32;
            std::slice::from_raw_parts(dims, self.ndim())
        }
    }

    /// Number of elements, counting NULLs (the product of the dimensions; PostgreSQL keeps
    /// it below 2^27 for any array it built).
    pub fn len(&self) -> usize {
        let dims = self.dims();
        if dims.is_empty() {
            return 0;
        }
        dims.iter().fold(1usize, |n, &d| n.saturating_mul(d.max(0) as usize))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if some element is SQL NULL.
    pub fn has_nulls(&self) -> bool {
        unsafe { (*self.ptr).dataoffset != 0 && pg_sys::array_contains_nulls(self.ptr) }
    }
}

impl<T: ArrayElem> ArrayArg<T> {
    /// The elements of an array without NULLs, in storage order (all dimensions
    /// flattened). Raises if the array holds NULLs or elements of another type.
    pub fn values(&self) -> &[T] {
        if self.has_nulls() {
            raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "array must not contain nulls");
        }
        let elemtype = unsafe { (*self.ptr).elemtype };
        if elemtype != T::OID {
            raise_code(PgSqlErrorCode::ERRCODE_DATA_EXCEPTION, "unsupported array type");
        }
        let len = self.len();
        if len == 0 {
            return &[];
        }
        unsafe {
            let offset = if (*self.ptr).dataoffset != 0 {
                (*self.ptr).dataoffset as usize
            } else {
                (size_of::<pg_sys::ArrayType>() + 2 * size_of::<i32>() * self.ndim()).next_multiple_of(MAXALIGN)
            };
            // Elements of int4, float4 and float8 are stored without padding from a MAXALIGNed
            // start, so the data is a properly aligned [T].
            std::slice::from_raw_parts((self.ptr as *const u8).add(offset) as *const T, len)
        }
    }
}

impl ArrayArg<NumericElem> {
    /// The array as a `double precision[]` of the same shape, each element converted as the
    /// `numeric` to `double precision` cast converts it (22003 when out of range). Raises if
    /// an element is NULL or the array is not `numeric[]`.
    pub fn to_float8(&self) -> ArrayArg<f64> {
        if self.has_nulls() {
            raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "array must not contain nulls");
        }
        if unsafe { (*self.ptr).elemtype } != pg_sys::NUMERICOID {
            raise_code(PgSqlErrorCode::ERRCODE_DATA_EXCEPTION, "unsupported array type");
        }
        unsafe {
            let mut elems: *mut pg_sys::Datum = std::ptr::null_mut();
            let mut count = 0i32;
            pg_sys::deconstruct_array(
                self.ptr,
                pg_sys::NUMERICOID,
                -1,
                false,
                pg_sys::TYPALIGN_INT as std::ffi::c_char,
                &mut elems,
                std::ptr::null_mut(),
                &mut count,
            );
            let mut floats: Vec<pg_sys::Datum> = (0..count.max(0) as usize)
                .map(|i| {
                    let x: Option<f64> = pgrx::fcinfo::direct_function_call(pg_sys::numeric_float8, &[Some(*elems.add(i))]);
                    pg_sys::Datum::from(x.unwrap_or(0.0).to_bits())
                })
                .collect();
            let ndim = self.ndim() as i32;
            let dims = self.dims().as_ptr() as *mut i32;
            let lbounds = dims.add(self.ndim());
            let ptr = pg_sys::construct_md_array(
                floats.as_mut_ptr(),
                std::ptr::null_mut(),
                ndim,
                dims,
                lbounds,
                pg_sys::FLOAT8OID,
                8,
                true,
                pg_sys::TYPALIGN_DOUBLE as std::ffi::c_char,
            );
            ArrayArg { ptr, _elem: PhantomData }
        }
    }
}

impl<T> pgrx::datum::FromDatum for ArrayArg<T> {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _typoid: pg_sys::Oid) -> Option<Self> {
        if is_null || datum.is_null() {
            None
        } else {
            let ptr = unsafe { super::varlena::detoast(datum) } as *mut pg_sys::ArrayType;
            Some(ArrayArg { ptr, _elem: PhantomData })
        }
    }
}

unsafe impl<'fcx, T> pgrx::callconv::ArgAbi<'fcx> for ArrayArg<T> {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum().unwrap_or_else(|| panic!("argument {index} must not be null")) }
    }
    unsafe fn unbox_nullable_arg(arg: pgrx::callconv::Arg<'_, 'fcx>) -> pgrx::nullable::Nullable<Self> {
        unsafe { arg.unbox_arg_using_from_datum().into() }
    }
}

pgrx::impl_sql_translatable!(ArrayArg<i32>, arg_only = "integer[]");
pgrx::impl_sql_translatable!(ArrayArg<f32>, arg_only = "real[]");
pgrx::impl_sql_translatable!(ArrayArg<f64>, arg_only = "double precision[]");
pgrx::impl_sql_translatable!(ArrayArg<NumericElem>, arg_only = "numeric[]");
pgrx::impl_sql_translatable!(ArrayArg<CStringElem>, arg_only = "cstring[]");
