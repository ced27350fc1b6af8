//! The job a background worker is started for. PostgreSQL hands a dynamic worker 128 bytes of
//! text (`bgw_extra`); the submitting backend writes a [`Spec`] there and the worker reads it
//! back, so who the worker runs as comes from the backend that checked the caller, never from
//! a table a user can write.

use crate::{Error, ErrorKind, Result};

/// PostgreSQL's BGW_EXTRALEN, with room for the terminating NUL.
pub const EXTRA_MAX: usize = 127;

/// What a worker does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Run the build recorded in job `job` once the submitting transaction `arg` (an xid) ends.
    Build,
    /// Maintain index `arg` (an oid) now, recording it as job `job`.
    Maintain,
    /// Run the import recorded in job `job` once the submitting transaction `arg` ends.
    Import,
    /// Visit this database: record crashed jobs, maintain the indexes that are due, purge
    /// expired rows of collections with a TTL.
    Sweep,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Build => "build",
            Kind::Maintain => "maintain",
            Kind::Import => "import",
            Kind::Sweep => "sweep",
        }
    }
}

/// A worker's assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub kind: Kind,
    pub job: i64,
    pub database: u32,
    /// The role the worker connects as (the submitting session's login role; 0: bootstrap superuser).
    pub session_role: u32,
    /// The role the job runs as (the submitter's current role; 0: the session role).
    pub role: u32,
    /// Build, Import: the submitting transaction's id. Maintain: the index. Sweep: unused.
    pub arg: u64,
}

impl Spec {
    pub fn encode(&self) -> String {
        format!("{} {} {} {} {} {}", self.kind.as_str(), self.job, self.database, self.session_role, self.role, self.arg)
    }

    pub fn decode(s: &str) -> Result<Spec> {
        let bad = || Error::new(ErrorKind::InvalidParameterValue, format!("malformed job assignment \"{s}\""));
        let mut it = s.split_ascii_whitespace();
        let kind = match it.next() {
            Some("build") => Kind::Build,
            Some("maintain") => Kind::Maintain,
            Some("import") => Kind::Import,
            Some("sweep") => Kind::Sweep,
            _ => return Err(bad()),
        };
        let mut num = || it.next().and_then(|v| v.parse::<u64>().ok()).ok_or_else(bad);
        let job = num()?;
        let database = num()?;
        let session_role = num()?;
        let role = num()?;
        let arg = num()?;
        let to32 = |v: u64| u32::try_from(v).map_err(|_| bad());
        Ok(Spec {
            kind,
            job: i64::try_from(job).map_err(|_| bad())?,
            database: to32(database)?,
            session_role: to32(session_role)?,
            role: to32(role)?,
            arg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_within_bgw_extra() {
        let s = Spec { kind: Kind::Maintain, job: i64::MAX, database: u32::MAX, session_role: u32::MAX, role: u32::MAX, arg: u64::MAX };
        let e = s.encode();
        assert!(e.len() <= EXTRA_MAX, "{} bytes", e.len());
        assert_eq!(Spec::decode(&e).unwrap(), s);
        for kind in [Kind::Build, Kind::Import, Kind::Sweep] {
            let b = Spec { kind, job: 7, database: 5, session_role: 10, role: 16384, arg: 748 };
            assert_eq!(Spec::decode(&b.encode()).unwrap(), b);
        }
    }

    #[test]
    fn malformed_assignments_are_errors() {
        for bad in ["", "build", "build 1 2 3 4", "drop 1 2 3 4 5", "build -1 2 3 4 5", "build 1 2 3 4 x", "build 1 99999999999 3 4 5"] {
            assert!(Spec::decode(bad).is_err(), "{bad:?}");
        }
    }
}
