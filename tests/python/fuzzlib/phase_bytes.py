"""Phase 5: arbitrary bytes. A UTF-8 database rejects invalid byte sequences before any function
sees them, a SQL_ASCII database does not: there, every function with a text-like argument
(text, cstring, jsonb, text[]) and every type input gets bytes that are not UTF-8."""
import time

import psycopg
from psycopg.conninfo import make_conninfo

from fuzzlib.calls import call_sql
from fuzzlib.runner import Runner
from fuzzlib.values import pick, scalar_expr, text_literal_of, value_expr

DB = "quiver_fuzz_ascii"
TEXT_LIKE = ("text", "cstring", "jsonb", "text[]", "cstring[]")


def escaped(rng, base):
    """`base` with bytes 0x80-0xff inserted, as an E'' literal (the SQL itself stays ASCII)."""
    out = []
    for ch in base:
        if rng.random() < 0.2:
            out.append("\\x%02x" % rng.randrange(0x80, 0x100))
        out.append("''" if ch == "'" else "\\\\" if ch == "\\" else ch)
    out.append("\\x%02x" % rng.randrange(0x80, 0x100))
    return "E'" + "".join(out) + "'"


def bytes_arg(rng, t):
    if t == "jsonb":
        return escaped(rng, pick(rng, ['{"a": "x"}', '["v"]', '{"fields": [{"name": "n"}]}', '"s"'])) + "::jsonb"
    if t in ("text[]", "cstring[]"):
        return escaped(rng, '{"a","b"}') + f"::{t}"
    if t == "cstring":
        return escaped(rng, text_literal_of(rng, pick(rng, ["vector", "sparsevec"]))) + "::cstring"
    return escaped(rng, pick(rng, ["fz", "id > 1", "vector", "x == \"y\""])) + "::text"


def phase_bytes(runner, rng, s, deadline):
    runner.run(f"DROP DATABASE IF EXISTS {DB}")
    runner.must(f"CREATE DATABASE {DB} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    conninfo = make_conninfo(runner.conninfo, dbname=DB)
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute("CREATE EXTENSION quiver")
    sub = Runner(conninfo, runner.known)
    sub.setup = [("", f"CREATE DATABASE {DB} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"),
                 ("", f"\\c {DB}"), ("", "CREATE EXTENSION quiver")]
    fns = [f for f in s["functions"] if f.kind == "f" and any(t in TEXT_LIKE for t in f.argtypes)
           and "internal" not in f.argtypes]
    types = [row[0] for row in s["types"]]
    while time.monotonic() < deadline:
        if rng.random() < 0.25:
            t = pick(rng, types)
            sub.run(f"SELECT {escaped(rng, text_literal_of(rng, t))}::{t}")
            continue
        fn = pick(rng, fns)

        def arg(t, _name):
            if t in TEXT_LIKE and rng.random() < 0.7:
                return bytes_arg(rng, t)
            return value_expr(rng, t) if rng.random() < 0.5 else scalar_expr(rng, t)
        sub.run(call_sql(rng, fn, arg))
    sub.conn.close()  # (the server log is checked once, by the main runner)
    runner.count += sub.count
    for key, finding in sub.findings.items():
        if key in runner.findings:
            runner.findings[key].count += finding.count
        else:
            runner.findings[key] = finding
    runner.run(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
