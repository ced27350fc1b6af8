"""Phase 1: functions, operators, casts, type input (with type modifiers), aggregates and the
btree operator classes, with generated values of every argument type."""
import time

from fuzzlib import values
from fuzzlib.calls import call_sql
from fuzzlib.values import pick, sql_str, text_literal_of, typmod_suffix, value_expr, vector_expr

VECTOR_TYPES = ("vector", "halfvec", "sparsevec")


def surface_statement(rng, s, plain_functions, aggregates):
    values.context["dim"] = None
    if rng.random() < 0.8:
        values.context["dim"] = 16000 if rng.random() < 0.03 else rng.choice([1, 2, 3, 3, 4, 5, 8, 17, 100])
    r = rng.random()
    if r < 0.4:
        fn = pick(rng, plain_functions)
        return call_sql(rng, fn, lambda t, _name: value_expr(rng, t))
    if r < 0.6:
        op, left, right = pick(rng, s["operators"])
        return f"SELECT ({value_expr(rng, left)}) {op} ({value_expr(rng, right)})"
    if r < 0.72:
        src, dst = pick(rng, s["casts"])
        suffix = typmod_suffix(rng) if dst in VECTOR_TYPES else ""
        return f"SELECT ({value_expr(rng, src)})::{dst}{suffix}"
    if r < 0.85:
        t = pick(rng, [row[0] for row in s["types"]])
        lit = text_literal_of(rng, t)
        if rng.random() < 0.2:
            lit = lit * rng.randrange(2, 50)
        return f"SELECT {sql_str(lit)}::{t}{typmod_suffix(rng)}"
    if r < 0.95 and aggregates:
        fn = pick(rng, aggregates)
        t = fn.argtypes[0]
        rows = ", ".join(f"({value_expr(rng, t)})" for _ in range(rng.randrange(1, 5)))
        return f"SELECT {fn.name}(x) FROM (VALUES {rows}) t(x)"
    t = pick(rng, list(VECTOR_TYPES))
    rows = ", ".join(f"({vector_expr(rng, t)})" for _ in range(rng.randrange(1, 6)))
    return pick(rng, [f"SELECT DISTINCT x FROM (VALUES {rows}) t(x) ORDER BY x",
                      f"SELECT x, count(*) FROM (VALUES {rows}) t(x) GROUP BY x",
                      f"SELECT x FROM (VALUES {rows}) t(x) ORDER BY x DESC"])


def phase_surface(runner, rng, s, deadline):
    fns = [f for f in s["functions"] if "internal" not in f.argtypes]
    plain = [f for f in fns if f.kind == "f" and not f.name.startswith("quiver.")]
    aggregates = [f for f in fns if f.kind == "a"]
    while time.monotonic() < deadline:
        runner.run(surface_statement(rng, s, plain, aggregates))
