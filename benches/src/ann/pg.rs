//! PostgreSQL side of the runner: targets, connections, the `vector` wire format for
//! binary COPY, text parameters for queries, and backend memory from /proc.

use std::error::Error;

use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls};

/// The benchmark table (`id`, a filter column `tag = id % 100`, the vectors, their texts).
pub const TABLE: &str = "bench_items";
pub const INDEX: &str = "bench_items_v_idx";

/// `--target NAME=DSN`: a label and a libpq-style connection string or URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: String,
    pub dsn: String,
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        match s.split_once('=') {
            Some((n, d)) if !n.is_empty() && !n.contains(' ') && !d.trim().is_empty() => {
                Ok(Target { name: n.to_string(), dsn: d.to_string() })
            }
            _ => Err(format!("--target `{s}`: expected NAME=CONNECTION-STRING, e.g. quiver=\"host=127.0.0.1 port=55215 user=postgres dbname=bench_quiver\"")),
        }
    }

    pub fn connect(&self) -> Result<Client, String> {
        Client::connect(&self.dsn, NoTls).map_err(|e| {
            let cause = e.source().map(|s| format!(": {s}")).unwrap_or_default();
            format!("target {}: cannot connect to `{}`: {e}{cause}", self.name, self.dsn)
        })
    }
}

/// Error text of a failed statement, with the server's message when there is one.
pub fn db_err(target: &str, what: &str, e: postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("target {target}: {what}: {} ({})", d.message(), d.code().code()),
        None => format!("target {target}: {what}: {e}"),
    }
}

/// Facts about the server and the extension that provides `vector` there.
pub struct ServerInfo {
    pub server_version: String,
    pub extension: String,
    pub vector_type: Type,
    pub backend_pid: i32,
}

pub fn server_info(c: &mut Client, target: &str) -> Result<ServerInfo, String> {
    let row = c
        .query_one(
            "SELECT current_setting('server_version'), to_regtype('vector')::oid::int8, \
                    (SELECT e.extname || ' ' || e.extversion FROM pg_depend d \
                       JOIN pg_extension e ON e.oid = d.refobjid \
                      WHERE d.classid = 'pg_type'::regclass AND d.objid = to_regtype('vector') \
                        AND d.deptype = 'e'), pg_backend_pid()",
            &[],
        )
        .map_err(|e| db_err(target, "reading server information", e))?;
    let oid: Option<i64> = row.get(1);
    let oid = oid.ok_or_else(|| {
        format!("target {target}: type `vector` does not exist in this database; run CREATE EXTENSION quiver (or pgvector's `vector`) there first")
    })?;
    let extension: Option<String> = row.get(2);
    Ok(ServerInfo {
        server_version: row.get(0),
        extension: extension.unwrap_or_else(|| "unknown".into()),
        vector_type: Type::new("vector".into(), oid as u32, postgres::types::Kind::Simple, "public".into()),
        backend_pid: row.get(3),
    })
}

/// A vector in pgvector's binary format (int16 dimensions, int16 reserved, float4s), for COPY.
#[derive(Debug)]
pub struct BinVector<'a>(pub &'a [f32]);

impl ToSql for BinVector<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut postgres::types::private::BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        let dim = i16::try_from(self.0.len())?;
        out.extend_from_slice(&dim.to_be_bytes());
        out.extend_from_slice(&0i16.to_be_bytes());
        for v in self.0 {
            out.extend_from_slice(&v.to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "vector"
    }

    to_sql_checked!();
}

/// A vector in the text format (`[1,2.5,-3]`, PostgreSQL's float4 output).
pub fn vector_text(v: &[f32]) -> String {
    quiver_core::text::format_vector(v)
}

/// `VmHWM` and `VmRSS` of a local process in bytes, if /proc is readable.
pub fn memory_of(pid: i32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Resets a process's peak-RSS counter to its current RSS (Linux `clear_refs` 5); needs
/// permission to write the file (the same user or root). Returns whether it worked.
pub fn reset_peak(pid: i32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = Target::parse("quiver=host=h port=1 dbname=x").unwrap();
        assert_eq!((t.name.as_str(), t.dsn.as_str()), ("quiver", "host=h port=1 dbname=x"));
        assert!(Target::parse("nodsn").is_err());
        assert!(Target::parse("=host=h").is_err());
        assert!(Target::parse("a b=host=h").is_err());
    }

    #[test]
    fn unreachable_server_is_a_clear_error() {
        let t = Target::parse("nowhere=host=127.0.0.1 port=1 user=postgres connect_timeout=2").unwrap();
        let e = t.connect().err().unwrap();
        assert!(e.starts_with("target nowhere: cannot connect to `host=127.0.0.1 port=1"), "{e}");
    }

    #[test]
    fn text_format_round_trips() {
        let v = [1.0f32, -2.5, 0.1, 1e-30, 3.4028235e38];
        let s = vector_text(&v);
        assert!(s.starts_with("[1,-2.5,0.1,"));
        let back: Vec<f32> = s[1..s.len() - 1].split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(back, v);
    }

    #[test]
    fn binary_format() {
        let mut b = postgres::types::private::BytesMut::new();
        let ty = Type::new("vector".into(), 1, postgres::types::Kind::Simple, "public".into());
        BinVector(&[1.0, -2.0]).to_sql(&ty, &mut b).unwrap();
        assert_eq!(&b[..], &[0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
        assert!(!BinVector::accepts(&Type::TEXT));
    }

    #[test]
    fn reads_own_memory() {
        let (hwm, rss) = memory_of(std::process::id() as i32).unwrap();
        assert!(hwm >= rss && rss > 0);
    }
}
