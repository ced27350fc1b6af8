//! In-backend tests of the shared index framework: what SQL reaches only indirectly through a
//! method (spilled build input, overflow chains, dimension checks, reloption parsing).

#[pgrx::pg_schema]
mod tests {
    use crate::am::common::build::Rows;
    use crate::am::common::overflow;
    use crate::am::common::page::{self, Buf};
    use crate::am::common::payload::{self, HeapTid};
    use pgrx::prelude::*;
    use quiver_core::metric::{Metric, VectorKind};

    fn payload_of(i: usize) -> Vec<u8> {
        // lengths 0..37 bytes, contents a function of i, so a mix-up between rows shows
        (0..i % 37).map(|j| (i * 31 + j * 7) as u8).collect()
    }

    fn tid_of(i: usize) -> HeapTid {
        ((i / 100) as u32, (i % 100 + 1) as u16)
    }

    fn check_rows(rows: &Rows, n: usize) {
        assert_eq!(rows.len(), n);
        for i in 0..n {
            assert_eq!(rows.payload(i), payload_of(i).as_slice(), "payload of row {i}");
            assert_eq!(rows.tids[i], tid_of(i), "tid of row {i}");
            assert_eq!(rows.payload(i).as_ptr() as usize % 8, 0, "row {i} is 8-byte aligned");
        }
    }

    #[pg_test]
    fn rows_in_memory_round_trip() {
        let mut rows = Rows::default();
        for i in 0..5000 {
            rows.push(&payload_of(i), tid_of(i));
        }
        rows.seal();
        assert!(!rows.is_spilled());
        check_rows(&rows, 5000);
    }

    #[pg_test]
    fn rows_spilled_midway_round_trip() {
        let mut rows = Rows::default();
        for i in 0..3000 {
            rows.push(&payload_of(i), tid_of(i));
        }
        rows.spill();
        assert!(rows.is_spilled());
        for i in 3000..7000 {
            rows.push(&payload_of(i), tid_of(i));
        }
        rows.seal();
        check_rows(&rows, 7000);
    }

    /// A fresh ivfflat index on an empty table, opened for writing: a relation to put
    /// overflow chains in (the test's transaction is rolled back).
    fn scratch_index() -> pg_sys::Relation {
        Spi::run("CREATE TABLE ovf_t (v vector(3)); CREATE INDEX ovf_i ON ovf_t USING ivfflat (v) WITH (lists = 1)")
            .expect("scratch index");
        let oid = Spi::get_one::<pg_sys::Oid>("SELECT 'ovf_i'::regclass::oid").expect("oid").expect("oid");
        unsafe { pg_sys::index_open(oid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE) }
    }

    const KIND: u16 = 0x7e01;

    #[pg_test]
    fn overflow_chain_round_trip() {
        let index = scratch_index();
        for len in [1, overflow::CHUNK - 1, overflow::CHUNK, overflow::CHUNK + 1, 5 * overflow::CHUNK + 17] {
            let value: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
            let before = page::nblocks(index);
            let first = overflow::write_chain(index, KIND, &value, &mut || {
                Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM)
            });
            assert_eq!(page::nblocks(index) - before, overflow::pages_for(len), "pages for {len} bytes");
            let back = overflow::read(index, KIND, first, len, &|| "test value".into()).expect("chain reads back");
            assert_eq!(back, value, "value of {len} bytes");
            // the chain's pages carry the kind they were written with
            let err = overflow::read(index, KIND + 1, first, len, &|| "test value".into()).unwrap_err();
            assert!(err.contains("overflow chain of test value is broken"), "{err}");
            // a length beyond the chain is a broken chain, not a read past its end
            let err = overflow::read(index, KIND, first, len + overflow::CHUNK, &|| "x".into()).unwrap_err();
            assert!(err.contains("is broken"), "{err}");
        }
        // blocks outside the relation and the metapage are refused before any read
        assert!(overflow::read(index, KIND, 0, 10, &|| "x".into()).is_err());
        assert!(overflow::read(index, KIND, page::nblocks(index) + 5, 10, &|| "x".into()).is_err());
        unsafe { pg_sys::index_close(index, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE) };
    }

    #[pg_test(error = "ivfflat index \"ovf_i\": test value claims a vector of 2097152 bytes")]
    fn overflow_refuses_huge_lengths() {
        let index = scratch_index();
        let _ = overflow::read(index, KIND, 1, overflow::MAX_VALUE * 2, &|| "test value".into());
    }

    #[pg_test]
    fn pages_for_lengths() {
        assert_eq!(overflow::pages_for(0), 0);
        assert_eq!(overflow::pages_for(1), 1);
        assert_eq!(overflow::pages_for(overflow::CHUNK), 1);
        assert_eq!(overflow::pages_for(overflow::CHUNK + 1), 2);
        assert!(overflow::CHUNK < page::BLCKSZ && overflow::CHUNK > page::BLCKSZ - 128);
    }

    /// A `vector` payload as an index sees it: dimensions (i16), an unused i16, the elements.
    fn f32_payload(x: &[f32]) -> Vec<u8> {
        let mut p = (x.len() as i16).to_ne_bytes().to_vec();
        p.extend([0, 0]);
        p.extend(x.iter().flat_map(|v| v.to_ne_bytes()));
        p
    }

    #[pg_test]
    fn query_dims_match() {
        let q = f32_payload(&[1.0, 2.0, 3.0]);
        payload::check_query_dims(VectorKind::F32, 3, &q);
    }

    #[pg_test(error = "different vector dimensions 4 and 3")]
    fn query_dims_mismatch() {
        let q = f32_payload(&[1.0, 2.0, 3.0]);
        payload::check_query_dims(VectorKind::F32, 4, &q);
    }

    #[pg_test]
    fn zero_vectors_have_no_cosine_order() {
        let zero = f32_payload(&[0.0; 3]);
        let one = f32_payload(&[0.0, 1.0, 0.0]);
        assert!(!payload::orderable(VectorKind::F32, Metric::Cosine, &zero));
        assert!(payload::orderable(VectorKind::F32, Metric::Cosine, &one));
        assert!(payload::orderable(VectorKind::F32, Metric::L2, &zero));
        assert_eq!(payload::max_dims(VectorKind::F32), 16000);
    }

    #[pg_test]
    fn reloptions_parse_into_the_method_struct() {
        Spi::run("CREATE TABLE opt_t (v vector(3)); CREATE INDEX opt_i ON opt_t USING ivfflat (v) WITH (lists = 7)")
            .expect("index");
        let oid = Spi::get_one::<pg_sys::Oid>("SELECT 'opt_i'::regclass::oid").expect("oid").expect("oid");
        let index = unsafe { pg_sys::index_open(oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
        assert_eq!(crate::am::ivfflat::options::lists(index), 7);
        unsafe { pg_sys::index_close(index, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    }
}
