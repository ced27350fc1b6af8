//! pgvector-compatible binary wire format (`send` / `recv`), all integers and floats in
//! network byte order:
//!
//! * `vector`:    uint16 dim, uint16 unused (0), dim × float4
//! * `halfvec`:   uint16 dim, uint16 unused (0), dim × uint16 (IEEE half bits)
//! * `sparsevec`: int32 dim, int32 nnz, int32 unused (0), nnz × int32 index (0-based),
//!   nnz × float4 value
//!
//! Decoders validate in the same order as pgvector's `recv` functions (header checks,
//! then each element as it is read) and consume the whole buffer. Running out of bytes is
//! "insufficient data left in message" and left-over bytes are "incorrect binary data
//! format", both reported as 22P03 (PostgreSQL itself reports the former as a protocol
//! violation, 08P01, from its message-buffer routines). Nothing is allocated beyond what
//! the buffer can actually hold.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{HALFVEC_MAX_DIM, SPARSEVEC_MAX_DIM, VECTOR_MAX_DIM};
use crate::sparse::SparseVec;
use crate::text::{check_dim_i64, check_element, check_expected_dim, check_nnz, check_sparse_index};
use half::f16;

/// Binary `vector`.
pub fn encode_vector(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 4 * v.len());
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    for &x in v {
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
    out
}

/// Binary `halfvec`.
pub fn encode_halfvec(v: &[f16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 2 * v.len());
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    for &x in v {
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
    out
}

/// Binary `sparsevec`.
pub fn encode_sparsevec(v: &SparseVec) -> Vec<u8> {
    let nnz = v.indices.len().min(v.values.len());
    let mut out = Vec::with_capacity(12 + 8 * nnz);
    out.extend_from_slice(&(v.dim as i32).to_be_bytes());
    out.extend_from_slice(&(nnz as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    for &i in &v.indices[..nnz] {
        out.extend_from_slice(&i.to_be_bytes());
    }
    for &x in &v.values[..nnz] {
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
    out
}

/// Decode binary `vector`.
pub fn decode_vector(buf: &[u8]) -> Result<Vec<f32>> {
    decode_vector_typmod(buf, -1)
}

/// Decode binary `vector` for a column with type modifier `typmod` (`-1` = none).
pub fn decode_vector_typmod(buf: &[u8], typmod: i32) -> Result<Vec<f32>> {
    let mut r = Reader::new(buf);
    let dim = r.u16()?;
    let unused = r.u16()?;
    check_dim_i64("vector", i64::from(dim), VECTOR_MAX_DIM)?;
    check_expected_dim(typmod, usize::from(dim))?;
    check_unused(i64::from(unused))?;
    let n = usize::from(dim);
    if let Some(bytes) = r.rest_exact(n * 4) {
        // the whole vector is there: decode, then check, in passes the compiler vectorises
        let out: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
        if !out.iter().fold(true, |ok, x| ok & x.is_finite()) {
            out.iter().try_for_each(|&x| check_element("vector", x))?;
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(r.capacity_for(n, 4));
    for _ in 0..dim {
        let x = f32::from_bits(r.u32()?);
        check_element("vector", x)?;
        out.push(x);
    }
    r.finish()?;
    Ok(out)
}

/// Decode binary `halfvec`.
pub fn decode_halfvec(buf: &[u8]) -> Result<Vec<f16>> {
    decode_halfvec_typmod(buf, -1)
}

/// Decode binary `halfvec` with a type modifier.
pub fn decode_halfvec_typmod(buf: &[u8], typmod: i32) -> Result<Vec<f16>> {
    let mut r = Reader::new(buf);
    let dim = r.u16()?;
    let unused = r.u16()?;
    check_dim_i64("halfvec", i64::from(dim), HALFVEC_MAX_DIM)?;
    check_expected_dim(typmod, usize::from(dim))?;
    check_unused(i64::from(unused))?;
    let mut out = Vec::with_capacity(r.capacity_for(usize::from(dim), 2));
    for _ in 0..dim {
        let h = f16::from_bits(r.u16()?);
        check_element("halfvec", h.to_f32())?;
        out.push(h);
    }
    r.finish()?;
    Ok(out)
}

/// Decode binary `sparsevec`. Indices must be in range, strictly ascending; values must be
/// finite and non-zero ("binary representation of sparsevec cannot contain zero values").
pub fn decode_sparsevec(buf: &[u8]) -> Result<SparseVec> {
    decode_sparsevec_typmod(buf, -1)
}

/// Decode binary `sparsevec` with a type modifier.
pub fn decode_sparsevec_typmod(buf: &[u8], typmod: i32) -> Result<SparseVec> {
    let mut r = Reader::new(buf);
    let dim = r.i32()?;
    let nnz = r.i32()?;
    let unused = r.i32()?;
    check_dim_i64("sparsevec", i64::from(dim), SPARSEVEC_MAX_DIM)?;
    check_nnz(i64::from(nnz), i64::from(dim))?;
    check_expected_dim(typmod, dim as usize)?;
    check_unused(i64::from(unused))?;
    let nnz = nnz as usize; // 0..=16000 after check_nnz
    let mut indices = Vec::with_capacity(r.capacity_for(nnz, 8));
    for i in 0..nnz {
        indices.push(r.i32()?);
        check_sparse_index(&indices, i, i64::from(dim))?;
    }
    let mut values = Vec::with_capacity(r.capacity_for(nnz, 4));
    for _ in 0..nnz {
        let x = f32::from_bits(r.u32()?);
        check_element("sparsevec", x)?;
        if x == 0.0 {
            return Err(Error::data("binary representation of sparsevec cannot contain zero values"));
        }
        values.push(x);
    }
    r.finish()?;
    Ok(SparseVec { dim: dim as u32, indices, values })
}

fn check_unused(unused: i64) -> Result<()> {
    if unused != 0 {
        return Err(Error::data(format!("expected unused to be 0, not {unused}")));
    }
    Ok(())
}

/// Big-endian reader over a message buffer.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let end = self.pos.checked_add(N).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let mut a = [0u8; N];
                a.copy_from_slice(&self.buf[self.pos..end]);
                self.pos = end;
                Ok(a)
            }
            None => Err(Error::new(
                ErrorKind::InvalidBinaryRepresentation,
                "insufficient data left in message",
            )),
        }
    }

    fn u16(&mut self) -> Result<u16> {
        self.take::<2>().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32> {
        self.take::<4>().map(u32::from_be_bytes)
    }

    fn i32(&mut self) -> Result<i32> {
        self.take::<4>().map(i32::from_be_bytes)
    }

    /// The rest of the buffer when it is exactly `len` bytes long.
    fn rest_exact(&self, len: usize) -> Option<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        (rest.len() == len).then_some(rest)
    }

    /// How many of `count` items of `size` bytes the remaining buffer could hold.
    fn capacity_for(&self, count: usize, size: usize) -> usize {
        count.min((self.buf.len() - self.pos) / size)
    }

    fn finish(&self) -> Result<()> {
        if self.pos != self.buf.len() {
            return Err(Error::new(ErrorKind::InvalidBinaryRepresentation, "incorrect binary data format"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<impl std::fmt::Debug>) -> (ErrorKind, String) {
        let e = r.expect_err("expected an error");
        (e.kind, e.message)
    }

    #[test]
    fn vector_round_trip_and_layout() {
        let v = vec![1.0f32, -2.5, 0.0];
        let b = encode_vector(&v);
        assert_eq!(&b[..4], &[0, 3, 0, 0]);
        assert_eq!(&b[4..8], &1.0f32.to_be_bytes());
        assert_eq!(b.len(), 16);
        assert_eq!(decode_vector(&b).unwrap(), v);
        assert_eq!(decode_vector_typmod(&b, 3).unwrap(), v);
        assert_eq!(err(decode_vector_typmod(&b, 2)), (ErrorKind::DataException, "expected 2 dimensions, not 3".into()));
    }

    #[test]
    fn vector_errors() {
        let ins = (ErrorKind::InvalidBinaryRepresentation, "insufficient data left in message".to_string());
        assert_eq!(err(decode_vector(&[])), ins);
        assert_eq!(err(decode_vector(&[0, 1, 0])), ins);
        assert_eq!(err(decode_vector(&[0, 2, 0, 0, 0, 0, 0, 0])), ins);
        assert_eq!(err(decode_vector(&[0, 0, 0, 0])), (ErrorKind::DataException, "vector must have at least 1 dimension".into()));
        // dim is unsigned on the wire: 0xffff is 65535, not -1.
        assert_eq!(err(decode_vector(&[0xff, 0xff, 0, 0])), (ErrorKind::ProgramLimitExceeded, "vector cannot have more than 16000 dimensions".into()));
        assert_eq!(err(decode_vector(&[0, 1, 0xff, 0xff, 0, 0, 0, 0])), (ErrorKind::DataException, "expected unused to be 0, not 65535".into()));
        let mut nan = vec![0, 2, 0, 0];
        nan.extend_from_slice(&f32::NAN.to_be_bytes());
        // The element check happens as elements are read, before running out of data.
        assert_eq!(err(decode_vector(&nan)), (ErrorKind::DataException, "NaN not allowed in vector".into()));
        let mut inf = vec![0, 1, 0, 0];
        inf.extend_from_slice(&f32::NEG_INFINITY.to_be_bytes());
        assert_eq!(err(decode_vector(&inf)).1, "infinite value not allowed in vector");
        let mut trailing = encode_vector(&[1.0]);
        trailing.push(0);
        assert_eq!(err(decode_vector(&trailing)), (ErrorKind::InvalidBinaryRepresentation, "incorrect binary data format".into()));
    }

    #[test]
    fn halfvec() {
        let v = vec![f16::from_f32(1.1), f16::from_f32(-65504.0), f16::from_bits(1)];
        let b = encode_halfvec(&v);
        assert_eq!(b.len(), 10);
        assert_eq!(&b[4..6], &f16::from_f32(1.1).to_bits().to_be_bytes());
        assert_eq!(decode_halfvec(&b).unwrap(), v);
        assert_eq!(err(decode_halfvec(&[0, 1, 0, 0, 0x7c, 0x00])).1, "infinite value not allowed in halfvec");
        assert_eq!(err(decode_halfvec(&[0, 1, 0, 0, 0x7e, 0x00])).1, "NaN not allowed in halfvec");
        assert_eq!(err(decode_halfvec(&[0, 1, 0, 0, 0x7e])).0, ErrorKind::InvalidBinaryRepresentation);
        assert_eq!(err(decode_halfvec(&[0x3e, 0x81, 0, 0])).1, "halfvec cannot have more than 16000 dimensions");
        assert_eq!(err(decode_halfvec(&[0, 0, 0, 0])).1, "halfvec must have at least 1 dimension");
    }

    fn sparse_bytes(dim: i32, nnz: i32, unused: i32, idx: &[i32], vals: &[f32]) -> Vec<u8> {
        let mut b = Vec::new();
        for x in [dim, nnz, unused].iter().chain(idx) {
            b.extend_from_slice(&x.to_be_bytes());
        }
        for v in vals {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b
    }

    #[test]
    fn sparsevec() {
        let s = SparseVec { dim: 5, indices: vec![0, 4], values: vec![1.5, -2.0] };
        let b = encode_sparsevec(&s);
        assert_eq!(b, sparse_bytes(5, 2, 0, &[0, 4], &[1.5, -2.0]));
        assert_eq!(decode_sparsevec(&b).unwrap(), s);
        let empty = SparseVec { dim: 3, indices: vec![], values: vec![] };
        assert_eq!(decode_sparsevec(&encode_sparsevec(&empty)).unwrap(), empty);

        let d = |b: Vec<u8>| err(decode_sparsevec(&b));
        use ErrorKind::*;
        assert_eq!(d(sparse_bytes(0, 0, 0, &[], &[])), (DataException, "sparsevec must have at least 1 dimension".into()));
        assert_eq!(d(sparse_bytes(-1, 0, 0, &[], &[])).0, DataException);
        assert_eq!(d(sparse_bytes(1_000_000_001, 0, 0, &[], &[])).0, ProgramLimitExceeded);
        assert_eq!(d(sparse_bytes(5, -1, 0, &[], &[])), (DataException, "sparsevec cannot have negative number of elements".into()));
        assert_eq!(d(sparse_bytes(100_000, 16_001, 0, &[], &[])), (ProgramLimitExceeded, "sparsevec cannot have more than 16000 non-zero elements".into()));
        assert_eq!(d(sparse_bytes(2, 3, 0, &[], &[])), (ProgramLimitExceeded, "sparsevec cannot have more elements than dimensions".into()));
        assert_eq!(d(sparse_bytes(5, 1, 7, &[0], &[1.0])), (DataException, "expected unused to be 0, not 7".into()));
        assert_eq!(d(sparse_bytes(5, 1, 0, &[5], &[1.0])), (DataException, "sparsevec index out of bounds".into()));
        assert_eq!(d(sparse_bytes(5, 1, 0, &[-1], &[1.0])).1, "sparsevec index out of bounds");
        assert_eq!(d(sparse_bytes(5, 2, 0, &[3, 1], &[1.0, 1.0])), (DataException, "sparsevec indices must be in ascending order".into()));
        assert_eq!(d(sparse_bytes(5, 2, 0, &[1, 1], &[1.0, 1.0])), (DataException, "sparsevec indices must not contain duplicates".into()));
        assert_eq!(d(sparse_bytes(5, 1, 0, &[1], &[0.0])), (DataException, "binary representation of sparsevec cannot contain zero values".into()));
        assert_eq!(d(sparse_bytes(5, 1, 0, &[1], &[-0.0])).1, "binary representation of sparsevec cannot contain zero values");
        assert_eq!(d(sparse_bytes(5, 1, 0, &[1], &[f32::NAN])).1, "NaN not allowed in sparsevec");
        assert_eq!(d(sparse_bytes(5, 1, 0, &[1], &[f32::INFINITY])).1, "infinite value not allowed in sparsevec");
        assert_eq!(d(sparse_bytes(5, 2, 0, &[1], &[])), (InvalidBinaryRepresentation, "insufficient data left in message".into()));
        let mut trailing = sparse_bytes(5, 1, 0, &[1], &[1.0]);
        trailing.push(9);
        assert_eq!(d(trailing), (InvalidBinaryRepresentation, "incorrect binary data format".into()));
        assert_eq!(err(decode_sparsevec_typmod(&encode_sparsevec(&s), 4)).1, "expected 4 dimensions, not 5");
        // A huge claimed nnz on a short buffer neither allocates nor panics.
        assert_eq!(d(sparse_bytes(1_000_000, 16_000, 0, &[], &[])).0, InvalidBinaryRepresentation);
    }
}
