"""Phase 2: the binary receive functions, fed through COPY FROM STDIN (FORMAT binary) into
columns with and without a type modifier, and as binary bind parameters."""
import struct
import time

import psycopg

from fuzzlib.values import binary_payload, pick, typmod_suffix


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def copy_stream(fields_per_row):
    out = bytearray(COPY_HEADER)
    for payload in fields_per_row:
        out += struct.pack(">hi", 1, len(payload)) + payload
    return bytes(out + struct.pack(">h", -1))


def phase_binary(runner, rng, s, deadline):
    types = [t for t, has_recv, _ in s["types"] if has_recv]
    tables = {}
    for t in types:
        for mod in ("", "(3)", "(1)"):
            name = f"fz_recv_{t}_{mod.strip('()') or 'any'}"
            runner.must(f"CREATE TABLE {name} (v {t}{mod})")
            runner.setup.append((name, f"CREATE TABLE {name} (v {t}{mod})"))
            tables.setdefault(t, []).append(name)
    with runner.conn.cursor() as cur:
        cur.execute("SELECT typname, oid FROM pg_type WHERE typname = ANY(%s)", (types,))
        raw = {t: raw_class(t, int(oid)) for t, oid in cur.fetchall()}
    while time.monotonic() < deadline:
        t = pick(rng, types)
        rows = [binary_payload(rng, t) for _ in range(rng.randrange(1, 4))]
        if rng.random() < 0.7:
            table = pick(rng, tables[t])
            data = copy_stream(rows)
            runner.run(f"COPY {table} (v) FROM STDIN WITH (FORMAT binary)", copy_data=data,
                       note=f"COPY data: decode('{data.hex()}', 'hex')")
            if rng.random() < 0.05:
                runner.run(f"TRUNCATE {table}")
        else:
            # A binary bind parameter of the type's OID goes through its receive function.
            runner.run(f"SELECT %b::{t}{typmod_suffix(rng)}::text", params=[raw[t](rows[0])],
                       note=f"binary parameter of type {t}: decode('{rows[0].hex()}', 'hex')")
    for names in tables.values():
        for name in names:
            runner.run(f"SELECT v::text FROM {name} LIMIT 50")
    runner.setup = []


class Raw:
    """Bytes sent as a binary parameter; a subclass per type carries the type's OID."""

    oid = 0

    def __init__(self, data):
        self.data = data


class RawDumper(psycopg.adapt.Dumper):
    format = psycopg.pq.Format.BINARY

    def dump(self, obj):
        return obj.data


def raw_class(type_name, oid):
    """A Raw subclass whose values are sent as binary `type_name`, with its dumper registered."""
    cls = type(f"Raw_{type_name}", (Raw,), {"oid": oid})
    psycopg.adapters.register_dumper(cls, type(f"RawDumper_{type_name}", (RawDumper,), {"oid": oid}))
    return cls
