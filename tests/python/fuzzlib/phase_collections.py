"""Phase 4: every quiver.* function of the collections API, called on fixture collections with
arguments chosen by name: valid ones (to reach the SQL the API builds) and mutated ones, filters
from the Milvus grammar included."""
import json
import time

from fuzzlib import fixtures, milvus
from fuzzlib.calls import call_sql
from fuzzlib.values import BIGINT_BOUNDS, INT_BOUNDS, mutate, pick, random_text, scalar_expr, sql_str


def ensure_fixtures(runner):
    """Put the fixture collections back as they were: the campaign renames, drops and aliases
    them, and creates others (dropped here, so the catalog stays small)."""
    with runner.conn.cursor() as cur:
        cur.execute("SELECT alias FROM quiver.aliases")
        aliases = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT name FROM quiver.collections")
        existing = {r[0] for r in cur.fetchall()}
    for alias in aliases:
        runner.run(f"SELECT quiver.drop_alias({sql_str(alias)})")
    for name in existing - set(fixtures.FIXTURES):
        runner.run(f"SELECT quiver.drop_collection({sql_str(name)})")
    for name, f in fixtures.FIXTURES.items():
        if name not in existing:  # (run, not must: a campaign leftover may stand in the way)
            runner.run(f["create"])
            runner.run(f"SELECT quiver.insert('{name}', {sql_str(json.dumps(fixtures.SEED_ROWS[name]))})")


def valid_collection_arg(rng, coll, t, name, field):
    """A valid argument for `name` of a quiver.* function on fixture `coll`, or None."""
    if coll not in fixtures.FIXTURES:
        return None
    val = {
        "name": coll, "collection": coll, "old_name": coll,
        "filter": lambda: fixtures.valid_filter(rng, coll),
        "anns_field": field, "field_name": field,
        "data": lambda: json.dumps(fixtures.valid_vector(rng, coll, field) if rng.random() < 0.8 else
                                   [fixtures.valid_vector(rng, coll, field) for _ in range(rng.randrange(1, 3))]),
        "rows": lambda: json.dumps([fixtures.valid_row(rng, coll) for _ in range(rng.randrange(1, 4))]),
        "ids": lambda: json.dumps(fixtures.valid_ids(rng, coll)),
        "params": lambda: json.dumps(fixtures.valid_search_params(rng, coll, field)),
        "output_fields": lambda: "{" + ",".join(rng.sample(fixtures.field_names(coll), 2)) + "}",
        "limit": lambda: str(rng.randrange(1, 20)), "offset": lambda: str(rng.randrange(0, 3)),
        "partition_name": "_default" if coll != "fz_tenants" else None,
        "partition_names": "{_default}" if coll != "fz_tenants" else None,
    }.get(name)
    if callable(val):
        val = val()
    if val is None:
        return None
    if t in ("integer", "bigint"):
        return f"({val})::{t}"
    return f"{sql_str(val)}::{t}"


def collection_arg(rng, coll, t, name, ctx=None):
    """An argument for a quiver.* function, chosen by its name, else by its type."""
    if ctx and ctx["valid"]:
        arg = valid_collection_arg(rng, coll, t, name, ctx["field"])
        if arg is not None:
            return arg
    if rng.random() < 0.05:
        return f"NULL::{t}"
    if t == "text":
        gen = {
            "name": lambda: coll, "collection": lambda: coll, "old_name": lambda: coll,
            "new_name": lambda: pick(rng, milvus.NAMES + ["fz_new", "fz_new2"]),
            "alias": lambda: pick(rng, ["fz_alias", "fz_alias2", "fz_docs", "", "a b"]),
            "partition_name": lambda: pick(rng, ["_default", "p1", "p2", "nope", "", "a" * 70, "p'1"]),
            "filter": lambda: milvus.filter_text(rng, coll),
            "anns_field": lambda: milvus.some_field(rng, coll), "field_name": lambda: milvus.some_field(rng, coll),
            "metric": lambda: pick(rng, milvus.METRICS), "metric_type": lambda: pick(rng, milvus.METRICS),
            "index_type": lambda: pick(rng, milvus.INDEX_TYPES),
            "index_name": lambda: pick(rng, ["vector", "emb", "bits", "v", "fz_i", "", "nope"]),
            "ranker": lambda: pick(rng, ["rrf", "weighted", "RRF", "max", ""]),
            "primary_key": lambda: pick(rng, ["id", "pk", "", "vector", "x y"]),
            "partition_key": lambda: pick(rng, ["tenant", "id", "nope", ""]),
            "id_type": lambda: pick(rng, ["int64", "varchar", "string", "int32", ""]),
            "vector_field": lambda: pick(rng, ["vector", "v", "id", "", "$meta"]),
            "db_schema": lambda: pick(rng, ["public", "fz_schema", "nope", "pg_catalog", "", "quiver"]),
            "description": lambda: random_text(rng, 30),
        }.get(name)
        val = gen() if gen else random_text(rng)
        if rng.random() < 0.1:
            val = mutate(rng, val)
        return f"{sql_str(val)}::text"
    if t == "jsonb":
        gen = {
            "rows": lambda: milvus.rows_doc(rng, coll), "data": lambda: milvus.query_vectors(rng, coll),
            "params": lambda: pick(rng, [milvus.search_params(rng), milvus.index_params(rng)]),
            "schema": lambda: milvus.schema_doc(rng), "index": lambda: milvus.index_spec(rng),
            "ids": lambda: pick(rng, ["[1, 2]", "[\"a\", \"b\"]", "[]", "1", "[null]", "[1.5]", "[9223372036854775808]",
                                      "\"a\"", "[[1]]", "{}"]),
            "requests": lambda: milvus.hybrid_requests(rng, coll), "ranker_params": lambda: milvus.ranker_params(rng),
        }.get(name)
        val = gen() if gen else pick(rng, ["{}", "[]", "null"])
        if rng.random() < 0.05:
            val = mutate(rng, val)
        return f"{sql_str(val)}::jsonb"
    if t == "text[]":
        items = [milvus.some_field(rng, coll) for _ in range(rng.randrange(0, 4))]
        if name == "partition_names":
            items = [pick(rng, ["_default", "p1", "nope", ""]) for _ in range(rng.randrange(0, 3))]
        quoted = ['"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items]
        if rng.random() < 0.05:
            quoted.insert(rng.randrange(len(quoted) + 1), "NULL")
        body = "{" + ",".join(quoted) + "}"
        return f"{sql_str(body)}::text[]"
    if t in ("integer", "bigint"):
        if name in ("limit", "offset", "num_partitions", "dimension") and rng.random() < 0.6:
            return f"({pick(rng, [0, 1, 2, 3, 4, 10, 100, 16384])})::{t}"
        return f"({pick(rng, BIGINT_BOUNDS if t == 'bigint' else INT_BOUNDS)})::{t}"
    if t == "regclass":
        return f"{sql_str(pick(rng, ['fz_docs', 'fz_goods', 'fz_tenants', 'pg_class', 'quiver.collections']))}::regclass"
    return scalar_expr(rng, t)


# Functions that take fixtures away: called less often, and the fixtures come back after them.
DESTRUCTIVE = {"drop_collection", "rename_collection"}


def phase_collections(runner, rng, s, deadline):
    runner.must("CREATE SCHEMA fz_schema")
    ensure_fixtures(runner)
    runner.setup = [(name, f["create"]) for name, f in fixtures.FIXTURES.items()]
    runner.setup += [(name, f"SELECT quiver.insert('{name}', {sql_str(json.dumps(rows))})")
                     for name, rows in fixtures.SEED_ROWS.items()]
    fns = [f for f in s["functions"] if f.name.startswith("quiver.") and "internal" not in f.argtypes]
    n = 0
    while time.monotonic() < deadline:
        fn = pick(rng, fns)
        if fn.short_name in DESTRUCTIVE and rng.random() < 0.7:
            fn = pick(rng, fns)
        coll = pick(rng, milvus.NAMES) if rng.random() < 0.1 else pick(rng, list(fixtures.FIXTURES))
        ctx = {"valid": rng.random() < 0.5,
               "field": pick(rng, list(fixtures.FIXTURES[coll]["vector_fields"])) if coll in fixtures.FIXTURES else None}
        state = runner.run(call_sql(rng, fn, lambda t, name: collection_arg(rng, coll, t, name, ctx)))
        n += 1
        if n % 150 == 0 or (state is None and fn.short_name in DESTRUCTIVE):
            ensure_fixtures(runner)
    runner.setup = []
