"""Calls of catalog functions with generated arguments."""


def call_sql(rng, fn, arg_expr):
    """`SELECT fn(...)` (or `SELECT * FROM fn(...)` for a set-returning one), each argument from
    `arg_expr(type, name)`; optional arguments are sometimes passed by name, or left out."""
    args = [arg_expr(t, name) for t, name in zip(fn.argtypes, list(fn.argnames) + [""] * fn.nargs)]
    # Named notation for a random subset of the arguments that have defaults.
    if fn.ndefaults and fn.argnames and all(fn.argnames) and rng.random() < 0.5:
        required = fn.nargs - fn.ndefaults
        parts = args[:required]
        for i in range(required, fn.nargs):
            if rng.random() < 0.5:
                parts.append(f'"{fn.argnames[i]}" => {args[i]}')
        call = f"{fn.name}({', '.join(parts)})"
    else:
        call = f"{fn.name}({', '.join(args)})"
    return f"SELECT * FROM {call} LIMIT 20" if fn.retset else f"SELECT {call}"
