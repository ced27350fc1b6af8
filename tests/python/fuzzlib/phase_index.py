"""Phase 3: hnsw and ivfflat index options (m, ef_construction, lists and unknown ones),
operator classes against column types, expression and partial indexes, the hnsw.* and
ivfflat.* GUCs, index scans, inserts after the build, VACUUM, REINDEX and quiver.index_check."""
import time

from fuzzlib import values
from fuzzlib.surface import RELOPTIONS
from fuzzlib.values import FLOAT_BOUNDS, INT_BOUNDS, pick, random_text, sql_str, vector_expr

VECTOR_TYPES = ("vector", "halfvec", "sparsevec")


INDEX_TABLES = {
    "fz_v3": "vector(3)", "fz_vany": "vector", "fz_h3": "halfvec(3)", "fz_s5": "sparsevec(5)",
    "fz_b8": "bit(8)", "fz_vb": "varbit",
}


def index_setup(runner, rng):
    """Create and fill the tables; returns the (table, statement) setup of reproductions."""
    setup = [("", "SET enable_seqscan = off")]
    for table, coltype in INDEX_TABLES.items():
        runner.must(f"CREATE TABLE {table} (id serial, v {coltype})")
        setup.append((table, f"CREATE TABLE {table} (id serial, v {coltype})"))
        base = coltype.split("(")[0]
        rows = []
        for i in range(40):
            if base in VECTOR_TYPES:
                d = 3 if coltype.endswith("(3)") else 5 if coltype.endswith("(5)") else pick(rng, [3, 3, 3, 2])
                if base == "sparsevec":
                    lit = "{" + ",".join(f"{j + 1}:{rng.uniform(-2, 2):.3f}" for j in range(d) if rng.random() < 0.6) + "}/5"
                else:
                    lit = "[" + ",".join(f"{rng.uniform(-2, 2):.3f}" for _ in range(d)) + "]"
                rows.append("NULL" if i % 13 == 0 else sql_str(lit))
            else:
                n = 8 if base == "bit" else pick(rng, [8, 8, 4])
                rows.append("NULL" if i % 13 == 0 else f"B'{''.join(rng.choice('01') for _ in range(n))}'")
        insert = f"INSERT INTO {table} (v) VALUES " + ", ".join(f"({r})" for r in rows)
        runner.must(insert)
        setup.append((table, insert))
    runner.must("SET enable_seqscan = off")
    runner.session_setup.append("SET enable_seqscan = off")
    return setup


def option_value(rng, name):
    r = rng.random()
    if r < 0.6:
        lo, hi = {"m": (2, 100), "ef_construction": (4, 1000), "lists": (1, 60)}.get(name, (1, 10))
        return str(pick(rng, [lo, hi, lo + 1, (lo + hi) // 2, rng.randrange(lo, hi + 1)]))
    if r < 0.85:
        return str(pick(rng, INT_BOUNDS + [1, 3, 101, 1001, 32768, 32769]))
    return pick(rng, ["'16'", "'x'", "1.5", "-0", "true", "''", "1e3", "' 8'"])


def index_statement(rng, s, gucs):
    """(table or None, statements)."""
    table, sqls = _index_statement(rng, s, gucs)
    return (None if sqls[0].startswith("SET ") else table), sqls


def _index_statement(rng, s, gucs):
    r = rng.random()
    table = pick(rng, list(INDEX_TABLES))
    coltype = INDEX_TABLES[table]
    values.context["dim"] = 5 if "(5)" in coltype else 8 if "bit" in coltype else 3
    if r < 0.22:
        am = pick(rng, list(RELOPTIONS))
        base = "bit" if "bit" in coltype else coltype.split("(")[0]
        matching = [row[0] for row in s["opclasses"] if row[1] == base and row[2] == am]
        opclass = pick(rng, matching + [""]) if rng.random() < 0.7 else pick(rng, [row[0] for row in s["opclasses"]])
        others = [o for a, names in RELOPTIONS.items() if a != am for o in names]
        opts = []
        for _ in range(rng.randrange(0, 3)):
            name = pick(rng, RELOPTIONS[am]) if rng.random() < 0.85 else pick(rng, others + ['foo', 'M', 'fillfactor'])
            opts.append(f"{name} = {option_value(rng, name)}")
        with_ = f" WITH ({', '.join(opts)})" if opts else ""
        key = "v"
        if rng.random() < 0.25:
            n = pick(rng, [3, 3, 1, 2, 5, 16000, 16001])
            key = pick(rng, [f"(v::halfvec({n}))", f"(v::vector({n}))", f"(binary_quantize(v::vector)::bit({n}))",
                             f"(v::sparsevec({n}))", "(v::sparsevec)", f"(subvector(v::vector, 1, {n}))"])
        cols = key if rng.random() < 0.9 else f"{key}, id"
        where = " WHERE id % 2 = 0" if rng.random() < 0.1 else ""
        conc = " CONCURRENTLY" if rng.random() < 0.05 else ""
        return table, [f"DROP INDEX IF EXISTS fz_idx_{table}",
                       f"CREATE INDEX{conc} fz_idx_{table} ON {table} USING {am} ({cols} {opclass}){with_}{where}"]
    if r < 0.35 and gucs:
        name, vartype, lo, hi, enumvals = pick(rng, gucs)
        if vartype == "enum":
            val = pick(rng, list(enumvals or []) + ["on", "off", "", "x", "1", "strict"])
            val = sql_str(val)
        elif vartype == "integer":
            cands = [0, -1, 1, 2**31 - 1, -(2**31)]
            if lo is not None:
                cands += [int(lo), int(lo) - 1, int(hi), int(hi) + 1]
            val = str(pick(rng, cands)) if rng.random() < 0.9 else sql_str(pick(rng, ["x", "1.5", "10kB", ""]))
        elif vartype == "real":
            val = sql_str(pick(rng, FLOAT_BOUNDS + ([lo, hi] if lo else [])))
        else:
            val = sql_str(random_text(rng, 10))
        return table, [f"SET {name} = {val}"]
    if r < 0.7:
        base = INDEX_TABLES[table].split("(")[0]
        if base in ("bit", "varbit"):
            op = pick(rng, ["<~>", "<%>"])
            q = vector_expr(rng, "bit")
        else:
            op = pick(rng, ["<->", "<#>", "<=>", "<+>"])
            q = vector_expr(rng, base)
        limit = pick(rng, [1, 5, 10, 100, 0, "ALL", -1])
        filt = pick(rng, ["", " WHERE id % 3 = 0", " WHERE id > 1000", " WHERE v IS NOT NULL"])
        return table, [f"SELECT id FROM {table}{filt} ORDER BY v {op} {q} LIMIT {limit}"]
    if r < 0.85:
        base = INDEX_TABLES[table].split("(")[0]
        v = vector_expr(rng, "bit" if base in ("bit", "varbit") else base)
        return table, [f"INSERT INTO {table} (v) VALUES ({v})"]
    if r < 0.93:
        return table, [f"DELETE FROM {table} WHERE id % {rng.randrange(2, 7)} = 0", f"VACUUM {table}"]
    if r < 0.95:
        name = pick(rng, [o for names in RELOPTIONS.values() for o in names] + ["foo"])
        return table, [f"ALTER INDEX fz_idx_{table} SET ({name} = {option_value(rng, name)})",
                       f"INSERT INTO {table} (v) SELECT v FROM {table} LIMIT 5", f"REINDEX INDEX fz_idx_{table}"]
    return table, [pick(rng, [f"SELECT * FROM quiver.index_check('fz_idx_{table}', {pick(rng, ['true', 'false'])})",
                              f"REINDEX TABLE {table}", f"SELECT * FROM quiver.index_check('{table}')",
                              f"SELECT count(*) FROM {table}"])]


def phase_index(runner, rng, s, deadline):
    runner.setup = index_setup(runner, rng)
    gucs = s["gucs"]
    # A reproduction replays what happened to the table since its index was (re)created, and
    # the GUCs set: index bugs are often stateful.
    history = {t: [] for t in INDEX_TABLES}
    settings = {}
    while time.monotonic() < deadline:
        table, sqls = index_statement(rng, s, gucs)
        for sql in sqls:
            if table and sql.startswith("DROP INDEX"):
                history[table] = []
            runner.history = list(settings.values()) + (history[table][-40:] if table else [])
            if runner.run(sql) is None and not sql.startswith("SELECT"):
                if table:
                    history[table].append(sql)
                else:
                    settings[sql.split()[1]] = sql
    runner.setup, runner.history = [], []
    for name, *_ in gucs:
        runner.run(f"RESET {name}")
