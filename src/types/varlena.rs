//! Owned, detoasted varlena values handed between PostgreSQL and Rust.
//!
//! Every quiver type is a varlena allocated with `palloc` in the current memory context.
//! Arguments are detoasted on the way in (`pg_detoast_datum` returns the original pointer
//! when the value is already plain); results are returned as the pointer itself.

use pgrx::pg_sys;

/// Allocate a zeroed varlena of `total` bytes (header included) and set its length word.
pub fn alloc_varlena(total: usize) -> *mut u8 {
    unsafe {
        let ptr = pg_sys::palloc0(total) as *mut pg_sys::varlena;
        pgrx::set_varsize_4b(ptr, total as i32);
        ptr as *mut u8
    }
}

/// Detoast a non-null datum of a varlena type.
///
/// # Safety
/// `datum` must be a valid, non-null varlena datum.
pub unsafe fn detoast(datum: pg_sys::Datum) -> *mut u8 {
    unsafe { pg_sys::pg_detoast_datum(datum.cast_mut_ptr::<pg_sys::varlena>()) as *mut u8 }
}

/// Implement the pgrx argument/return traits for a varlena wrapper type `$ty` that has
/// `fn from_raw(*mut u8) -> Self` and `fn as_ptr(&self) -> *mut u8`, mapped to SQL type `$sql`.
macro_rules! varlena_type_glue {
    ($ty:ty, $sql:literal) => {
        impl pgrx::datum::FromDatum for $ty {
            unsafe fn from_polymorphic_datum(
                datum: pgrx::pg_sys::Datum,
                is_null: bool,
                _typoid: pgrx::pg_sys::Oid,
            ) -> Option<Self> {
                if is_null || datum.is_null() {
                    None
                } else {
                    Some(<$ty>::from_raw(unsafe { $crate::types::varlena::detoast(datum) }))
                }
            }
        }

        unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for $ty {
            unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
                let index = arg.index();
                unsafe {
                    arg.unbox_arg_using_from_datum()
                        .unwrap_or_else(|| panic!("argument {index} must not be null"))
                }
            }
            unsafe fn unbox_nullable_arg(
                arg: pgrx::callconv::Arg<'_, 'fcx>,
            ) -> pgrx::nullable::Nullable<Self> {
                unsafe { arg.unbox_arg_using_from_datum().into() }
            }
        }

        unsafe impl pgrx::callconv::BoxRet for $ty {
            unsafe fn box_into<'fcx>(
                self,
                fcinfo: &mut pgrx::callconv::FcInfo<'fcx>,
            ) -> pgrx::datum::Datum<'fcx> {
                unsafe { fcinfo.return_raw_datum(pgrx::pg_sys::Datum::from(self.as_ptr())) }
            }
        }

        pgrx::impl_sql_translatable!($ty, $sql);
    };
}
pub(crate) use varlena_type_glue;

