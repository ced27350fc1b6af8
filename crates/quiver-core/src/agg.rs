//! The transition state of `avg(vector)` and `avg(halfvec)`, as pgvector lays it out: a
//! `double precision[]` whose element 0 counts the rows and elements `1..=dim` hold the
//! running sums. The initial state is `{0}` (no rows, no dimensions yet).
//!
//! The state functions are ordinary SQL functions, so they can be called with any array:
//! every state is validated before use ([`AvgState::read`]) and a malformed one is an error
//! (22000) naming the function and the problem, never a garbage result.

use crate::error::{Error, ErrorKind, Result};
use crate::text::check_expected_dim;

/// A validated state: `count` rows summed into `sums` (empty while `count` is 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AvgState<'a> {
    pub count: f64,
    pub sums: &'a [f64],
}

fn bad_state(caller: &str, problem: impl std::fmt::Display) -> Error {
    Error::data(format!("invalid state array for {caller}: {problem}"))
}

/// A number as PostgreSQL prints a float8 (`Infinity`, not Rust's `inf`).
fn show(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        format!("{x}")
    }
}

/// Largest row count (2^53 - 1): beyond it, adding 1 to an f64 stops being exact.
const MAX_COUNT: f64 = 9_007_199_254_740_991.0;

impl<'a> AvgState<'a> {
    /// Validate the elements of a one-dimensional, NULL-free state array for function
    /// `caller` of a type with at most `max_dim` dimensions.
    pub fn read(caller: &str, state: &'a [f64], max_dim: usize) -> Result<Self> {
        let Some((&count, sums)) = state.split_first() else {
            return Err(bad_state(caller, "it must not be empty"));
        };
        if !(count.is_finite() && count >= 0.0 && count.fract() == 0.0 && count <= MAX_COUNT) {
            return Err(bad_state(caller, format!("the row count must be a non-negative whole number, not {}", show(count))));
        }
        if sums.len() > max_dim {
            return Err(bad_state(caller, format!("it cannot hold more than {max_dim} dimensions, it holds {}", sums.len())));
        }
        if count == 0.0 && !sums.is_empty() {
            return Err(bad_state(caller, "a row count of 0 must come without sums"));
        }
        if count > 0.0 && sums.is_empty() {
            return Err(bad_state(caller, format!("a row count of {} needs at least 1 sum", show(count))));
        }
        if sums.iter().any(|s| !s.is_finite()) {
            return Err(bad_state(caller, "the sums must be finite"));
        }
        Ok(AvgState { count, sums })
    }

    /// The state after adding one row of `values`. A row of other dimensions than the
    /// state's is "expected 3 dimensions, not 2" (22000), as in pgvector.
    pub fn accum(&self, values: &[f32]) -> Result<Vec<f64>> {
        if self.count > 0.0 {
            check_expected_dim(self.dims(), values.len())?;
        }
        if self.count >= MAX_COUNT {
            return Err(overflow());
        }
        let mut out = Vec::with_capacity(values.len() + 1);
        out.push(self.count + 1.0);
        if self.count == 0.0 {
            out.extend(values.iter().map(|&x| f64::from(x)));
        } else {
            out.extend(self.sums.iter().zip(values).map(|(&s, &x)| s + f64::from(x)));
        }
        check_finite(&out)?;
        Ok(out)
    }

    /// Number of dimensions of the sums (at most a type's maximum, so it fits an i32).
    fn dims(&self) -> i32 {
        i32::try_from(self.sums.len()).unwrap_or(i32::MAX)
    }

    /// The state of both states' rows together (parallel aggregation).
    pub fn combine(&self, other: &AvgState<'_>) -> Result<Vec<f64>> {
        if other.count == 0.0 {
            return Ok(self.to_vec());
        }
        if self.count == 0.0 {
            return Ok(other.to_vec());
        }
        check_expected_dim(self.dims(), other.sums.len())?;
        let count = self.count + other.count;
        if count > MAX_COUNT {
            return Err(overflow());
        }
        let mut out = Vec::with_capacity(self.sums.len() + 1);
        out.push(count);
        out.extend(self.sums.iter().zip(other.sums).map(|(a, b)| a + b));
        check_finite(&out)?;
        Ok(out)
    }

    /// The per-dimension means, or `None` for no rows (SQL's `avg` of nothing is NULL).
    pub fn means(&self) -> Option<Vec<f64>> {
        if self.count == 0.0 {
            return None;
        }
        Some(self.sums.iter().map(|s| s / self.count).collect())
    }

    fn to_vec(self) -> Vec<f64> {
        let mut v = Vec::with_capacity(self.sums.len() + 1);
        v.push(self.count);
        v.extend_from_slice(self.sums);
        v
    }
}

fn overflow() -> Error {
    Error::new(ErrorKind::NumericValueOutOfRange, "value out of range: overflow")
}

fn check_finite(state: &[f64]) -> Result<()> {
    if state.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(overflow())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &[f64]) -> Result<AvgState<'_>> {
        AvgState::read("vector_accum", s, 4)
    }

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        let e = r.expect_err("expected an error");
        assert_eq!(e.kind.sqlstate(), "22000", "{}", e.message);
        e.message
    }

    #[test]
    fn valid_states() {
        assert_eq!(read(&[0.0]).unwrap(), AvgState { count: 0.0, sums: &[] });
        assert_eq!(read(&[2.0, 1.0, -3.5]).unwrap(), AvgState { count: 2.0, sums: &[1.0, -3.5] });
        assert_eq!(read(&[1.0, 0.0, 0.0, 0.0, 0.0]).unwrap().sums.len(), 4);
    }

    #[test]
    fn malformed_states() {
        assert_eq!(msg(read(&[])), "invalid state array for vector_accum: it must not be empty");
        assert_eq!(msg(read(&[-1.0, 1.0])), "invalid state array for vector_accum: the row count must be a non-negative whole number, not -1");
        assert!(msg(read(&[1.5, 1.0])).contains("not 1.5"));
        assert!(msg(read(&[f64::NAN, 1.0])).contains("not NaN"));
        assert!(msg(read(&[f64::INFINITY, 1.0])).contains("not Infinity"));
        assert!(msg(read(&[1e300, 1.0])).contains("whole number"));
        assert_eq!(msg(read(&[0.0, 1.0])), "invalid state array for vector_accum: a row count of 0 must come without sums");
        assert_eq!(msg(read(&[3.0])), "invalid state array for vector_accum: a row count of 3 needs at least 1 sum");
        assert_eq!(msg(read(&[1.0, f64::NAN])), "invalid state array for vector_accum: the sums must be finite");
        assert_eq!(msg(read(&[1.0, f64::NEG_INFINITY])), "invalid state array for vector_accum: the sums must be finite");
        assert_eq!(msg(read(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0])), "invalid state array for vector_accum: it cannot hold more than 4 dimensions, it holds 5");
    }

    #[test]
    fn accum_combine_means() {
        let s0 = read(&[0.0]).unwrap();
        let s1 = s0.accum(&[1.0, 2.0]).unwrap();
        assert_eq!(s1, vec![1.0, 1.0, 2.0]);
        let s2 = read(&s1).unwrap().accum(&[3.0, 4.0]).unwrap();
        assert_eq!(s2, vec![2.0, 4.0, 6.0]);
        let e = read(&s2).unwrap().accum(&[1.0]).unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::DataException, "expected 2 dimensions, not 1"));

        let a = read(&s2).unwrap();
        assert_eq!(a.combine(&s0).unwrap(), s2);
        assert_eq!(s0.combine(&a).unwrap(), s2);
        assert_eq!(s0.combine(&s0).unwrap(), vec![0.0]);
        assert_eq!(a.combine(&a).unwrap(), vec![4.0, 8.0, 12.0]);
        let b = read(&[1.0, 1.0]).unwrap();
        assert_eq!(a.combine(&b).unwrap_err().message, "expected 2 dimensions, not 1");

        assert_eq!(a.means(), Some(vec![2.0, 3.0]));
        assert_eq!(s0.means(), None);
    }

    #[test]
    fn overflow_is_an_error() {
        let big = [1.0, 1.7e308];
        let a = read(&big).unwrap();
        assert_eq!(a.combine(&a).unwrap_err().kind, ErrorKind::NumericValueOutOfRange);
        let full = [MAX_COUNT, 1.0];
        assert_eq!(read(&full).unwrap().accum(&[1.0]).unwrap_err().kind, ErrorKind::NumericValueOutOfRange);
        assert_eq!(read(&full).unwrap().combine(&read(&[1.0, 1.0]).unwrap()).unwrap_err().kind, ErrorKind::NumericValueOutOfRange);
    }
}
