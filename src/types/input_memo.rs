//! Memoised text input for the vector types.
//!
//! A query such as `ORDER BY embedding <-> $1::text::vector LIMIT 10`, run as a prepared
//! statement with a generic plan (what most drivers and ORMs do), converts the same
//! parameter text once per row it projects: PostgreSQL does not cache the result of a cast
//! applied to a parameter. Parsing 384 numbers costs about 20 µs, several times a scan.
//!
//! Input functions are immutable, so each call site (`FmgrInfo`) remembers the last text it
//! parsed, with the type modifier, and the resulting value; the same text again returns a
//! copy of that value. A call site that keeps seeing new texts (COPY, a cast of a column)
//! stops remembering after a few misses in a row, so it pays nothing but one comparison.

use pgrx::pg_sys;
use std::ffi::CStr;

/// Misses in a row after which a call site stops remembering.
const GIVE_UP_AFTER: u32 = 8;
/// Texts longer than this are not remembered (the copy would cost memory for little gain).
const MAX_TEXT: usize = 1 << 20;

struct InputMemo {
    text: Vec<u8>,
    typmod: i32,
    /// The varlena value produced for `text`, header included.
    value: Vec<u8>,
    misses: u32,
}

/// Parse `input` with `parse` (which returns a palloc'd varlena or an error), or return a fresh
/// copy of the value this call site produced for the same input last time. Errors are not
/// remembered.
///
/// # Safety
/// `fcinfo` must be the call's own `FunctionCallInfo`; `parse` must return a valid varlena.
pub unsafe fn memoized_input(
    fcinfo: pg_sys::FunctionCallInfo,
    input: &CStr,
    typmod: i32,
    parse: impl FnOnce() -> quiver_core::Result<*mut u8>,
) -> quiver_core::Result<*mut u8> {
    unsafe {
        let flinfo = if fcinfo.is_null() { std::ptr::null_mut() } else { (*fcinfo).flinfo };
        let text = input.to_bytes();
        if flinfo.is_null() || text.len() > MAX_TEXT {
            return parse();
        }
        if (*flinfo).fn_extra.is_null() {
            let memo = InputMemo { text: Vec::new(), typmod: -1, value: Vec::new(), misses: 0 };
            (*flinfo).fn_extra =
                pgrx::PgMemoryContexts::For((*flinfo).fn_mcxt).leak_and_drop_on_delete(memo) as *mut std::ffi::c_void;
        }
        let memo = &mut *((*flinfo).fn_extra as *mut InputMemo);
        if memo.misses >= GIVE_UP_AFTER {
            return parse();
        }
        if !memo.value.is_empty() && memo.typmod == typmod && memo.text == text {
            memo.misses = 0;
            let out = pg_sys::palloc(memo.value.len()) as *mut u8;
            std::ptr::copy_nonoverlapping(memo.value.as_ptr(), out, memo.value.len());
            return Ok(out);
        }
        memo.misses += 1;
        // A failed parse (returned, or raised through here) leaves the memo as it was.
        let out = parse()?;
        let len = pgrx::varsize_any(out as *const pg_sys::varlena);
        memo.text.clear();
        memo.text.extend_from_slice(text);
        memo.typmod = typmod;
        memo.value.clear();
        memo.value.extend_from_slice(std::slice::from_raw_parts(out, len));
        Ok(out)
    }
}
