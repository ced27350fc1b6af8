//! In-process tests run by `cargo pgrx test` inside a real PostgreSQL backend.
//! The SQL regression suite (tests/regress) covers the SQL surface; these tests reach what
//! SQL cannot: the binary receive functions fed with arbitrary, malformed byte strings.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    /// The receive and output function OIDs of a type.
    fn io_fns(type_name: &str) -> (pg_sys::Oid, pg_sys::Oid) {
        let recv_fn = Spi::get_one::<pg_sys::Oid>(&format!(
            "SELECT typreceive::oid FROM pg_type WHERE typname = '{type_name}'"
        ))
        .unwrap()
        .unwrap();
        let out_fn = Spi::get_one::<pg_sys::Oid>(&format!(
            "SELECT typoutput::oid FROM pg_type WHERE typname = '{type_name}'"
        ))
        .unwrap()
        .unwrap();
        (recv_fn, out_fn)
    }

    /// Call a type's receive function (by SQL name) on raw bytes, as binary COPY would.
    fn recv(type_name: &str, bytes: &[u8], typmod: i32) -> String {
        let (recv_fn, out_fn) = io_fns(type_name);
        recv_with(recv_fn, out_fn, bytes, typmod)
    }

    fn recv_with(recv_fn: pg_sys::Oid, out_fn: pg_sys::Oid, bytes: &[u8], typmod: i32) -> String {
        unsafe {
            let buf = pg_sys::makeStringInfo();
            pg_sys::appendBinaryStringInfo(buf, bytes.as_ptr() as *const _, bytes.len() as i32);
            let datum = pg_sys::OidReceiveFunctionCall(recv_fn, buf, pg_sys::InvalidOid, typmod);
            let cstr = pg_sys::OidOutputFunctionCall(out_fn, datum);
            std::ffi::CStr::from_ptr(cstr).to_string_lossy().into_owned()
        }
    }

    fn be16(v: i16) -> [u8; 2] {
        v.to_be_bytes()
    }

    fn vector_bytes(dim: i16, unused: i16, values: &[f32]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(be16(dim));
        b.extend(be16(unused));
        for v in values {
            b.extend(v.to_be_bytes());
        }
        b
    }

    fn sparse_bytes(dim: i32, nnz: i32, unused: i32, idx: &[i32], vals: &[f32]) -> Vec<u8> {
        let mut b = Vec::new();
        for x in [dim, nnz, unused] {
            b.extend(x.to_be_bytes());
        }
        for i in idx {
            b.extend(i.to_be_bytes());
        }
        for v in vals {
            b.extend(v.to_be_bytes());
        }
        b
    }

    #[pg_test]
    fn vector_text_round_trip() {
        let out = Spi::get_one::<String>("SELECT '[1,2.5,-3]'::vector::text").unwrap();
        assert_eq!(out.as_deref(), Some("[1,2.5,-3]"));
    }

    #[pg_test]
    fn vector_recv_valid() {
        assert_eq!(recv("vector", &vector_bytes(3, 0, &[1.0, -2.5, 3e-7]), -1), "[1,-2.5,3e-07]");
        assert_eq!(recv("vector", &vector_bytes(2, 0, &[1.0, 2.0]), 2), "[1,2]");
    }

    #[pg_test(error = "expected 3 dimensions, not 2")]
    fn vector_recv_typmod_mismatch() {
        recv("vector", &vector_bytes(2, 0, &[1.0, 2.0]), 3);
    }

    #[pg_test(error = "insufficient data left in message")]
    fn vector_recv_truncated() {
        let mut b = vector_bytes(3, 0, &[1.0, 2.0, 3.0]);
        b.truncate(10);
        recv("vector", &b, -1);
    }

    #[pg_test(error = "NaN not allowed in vector")]
    fn vector_recv_nan() {
        recv("vector", &vector_bytes(2, 0, &[1.0, f32::NAN]), -1);
    }

    #[pg_test(error = "vector cannot have more than 16000 dimensions")]
    fn vector_recv_too_many_dims() {
        recv("vector", &vector_bytes(16001, 0, &[]), -1);
    }

    #[pg_test]
    fn halfvec_recv_valid() {
        let mut b = Vec::new();
        b.extend(be16(2));
        b.extend(be16(0));
        b.extend(quiver_core::f16::from_f32(1.5).to_bits().to_be_bytes());
        b.extend(quiver_core::f16::from_f32(-2.0).to_bits().to_be_bytes());
        assert_eq!(recv("halfvec", &b, -1), "[1.5,-2]");
    }

    #[pg_test]
    fn sparsevec_recv_valid() {
        assert_eq!(recv("sparsevec", &sparse_bytes(5, 2, 0, &[0, 3], &[1.5, 2.0]), -1), "{1:1.5,4:2}/5");
    }

    #[pg_test(error = "sparsevec indices must be in ascending order")]
    fn sparsevec_recv_unsorted() {
        recv("sparsevec", &sparse_bytes(5, 2, 0, &[3, 0], &[1.5, 2.0]), -1);
    }

    #[pg_test(error = "sparsevec index out of bounds")]
    fn sparsevec_recv_index_out_of_range() {
        recv("sparsevec", &sparse_bytes(5, 1, 0, &[5], &[1.5]), -1);
    }

    #[pg_test]
    fn garbage_recv_never_crashes() {
        // Pseudo-random byte strings of many lengths: every one either decodes or raises an ERROR.
        let fns: Vec<_> = ["vector", "halfvec", "sparsevec"].map(io_fns).to_vec();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            for &(recv_fn, out_fn) in &fns {
                PgTryBuilder::new(|| {
                    recv_with(recv_fn, out_fn, &bytes, -1);
                })
                .catch_others(|_| ())
                .execute();
            }
        }
    }
}
