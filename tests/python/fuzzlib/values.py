"""Generators of SQL values for the bad-input campaign: near-valid literals of quiver's types
(grammar-generated, then mutated), boundary numbers, odd arrays, random strings, and crafted
binary payloads for the receive functions. Every generator takes a `random.Random`."""
import math
import struct

INT_BOUNDS = [0, 1, -1, 2, 3, 4, 8, 100, 2**15 - 1, 2**15, 2**16, 16000, 16001, 2**31 - 1, -(2**31),
              1000000000, 1000000001, -16000]
BIGINT_BOUNDS = INT_BOUNDS + [2**31, 2**63 - 1, -(2**63)]
FLOAT_BOUNDS = ["0", "-0", "1", "-1", "0.5", "NaN", "Infinity", "-Infinity", "1e39", "-1e39", "3.4028235e38",
                "3.4028236e38", "1e-45", "1e-46", "65504", "65520", "1e308", "5e-324", "2147483648", "1e-300"]
ELEMENT_TOKENS = ["0", "-0", "1", "-1.5", "2.25", "1e3", "1e-7", "NaN", "nan", "inf", "-Infinity", "1e39", "1e-50",
                  "65504", "65519", "65520", "0x1p3", "0x1.8p1", "3.4028235e38", ".5", "5.", "+1", "1e", "--1", "",
                  " ", "1_0", "1,5", "١", "0x", "e5", "1e999", "-1e-999", "00001", "1" * 60]
JSONB_SAMPLES = ['{}', '[]', 'null', '1', '[1,2]', '{"a":1}']
JUNK_CHARS = "[]{}:/,.-+eE0123456789 \t\n\r\\\"'xXpPnNaAiIfF;()@#$%^&*_|~`<>?=\u00e9\u4e2d\U0001f600"


# The number of dimensions the current statement favours, so that the operands of an
# operator usually agree and the computation behind the dimension checks runs too.
context = {"dim": None}


def pick(rng, items):
    return items[rng.randrange(len(items))]


def sql_str(s):
    """A standard SQL string literal (no NUL bytes: the protocol cannot carry them)."""
    return "'" + s.replace("\0", "").replace("'", "''") + "'"


def random_text(rng, max_len=40):
    n = rng.choice([0, 1, 2, 5, 10, max_len, rng.randrange(max_len + 1)])
    if rng.random() < 0.3:
        return "".join(chr(rng.randrange(1, 0x250)) for _ in range(n))
    return "".join(pick(rng, JUNK_CHARS) for _ in range(n))


def number(rng, valid=False):
    r = rng.random()
    if valid or r < 0.8:
        return repr(round(rng.uniform(-10, 10), rng.randrange(0, 8)))
    if r < 0.9:
        return pick(rng, ELEMENT_TOKENS[:16])
    return pick(rng, FLOAT_BOUNDS)


def dim(rng):
    r = rng.random()
    if context["dim"] and r < 0.7:
        return context["dim"]
    r = rng.random()
    if r < 0.75:
        return rng.randrange(1, 9)
    if r < 0.85:
        return 0
    return pick(rng, [16, 100, 1000, 16000, 16001])


def typmod_suffix(rng):
    """'' or a type modifier list, valid or not."""
    r = rng.random()
    if r < 0.6:
        return ""
    if r < 0.85 and context["dim"]:
        return f"({context['dim']})"
    if r < 0.95:
        return f"({pick(rng, INT_BOUNDS)})"
    return pick(rng, ["(1,2)", "('a')", "(1.5)", "(x)", "(-1)", "(99999999999)", "('')", "(' 3 ')", "(1e3)"])


def mutate(rng, s):
    """Insert, delete, replace or duplicate characters, or truncate."""
    s = list(s)
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(5)
        i = rng.randrange(len(s) + 1)
        if op == 0:
            s.insert(i, pick(rng, JUNK_CHARS))
        elif op == 1 and s:
            del s[min(i, len(s) - 1)]
        elif op == 2 and s:
            s[min(i, len(s) - 1)] = pick(rng, JUNK_CHARS)
        elif op == 3 and s:
            j = rng.randrange(len(s))
            s[i:i] = s[j:j + rng.randrange(1, 8)]
        else:
            s = s[:i]
    return "".join(s)


def dense_text(rng, n=None, valid=False):
    n = dim(rng) if n is None else n
    if valid:
        n = max(n, 1)
    sep = pick(rng, [",", ",", " , ", ",\t"])
    pad = pick(rng, ["", "", " ", "\n "])
    return f"{pad}[{sep.join(number(rng, valid) for _ in range(n))}]{pad}"


def sparse_text(rng, n=None, valid=False):
    if n is None:
        n = context["dim"] if context["dim"] and (valid or rng.random() < 0.7) else None
    if n is None:
        n = pick(rng, [1, 2, 3, 5, 10, 1000, 1000000000]) if valid else \
            pick(rng, [1, 2, 3, 5, 10, 1000, 1000000000, 1000000001, 0, -1, 2**31])
    if valid:
        idx = sorted(rng.sample(range(1, min(n, 50) + 1), rng.randrange(0, min(n, 6) + 1)))
        elems = [f"{i}:{number(rng, True)}" for i in idx]
    else:
        elems = []
        for _ in range(rng.randrange(0, 6)):
            idx = rng.choice([rng.randrange(-1, max(2, min(n, 20)) + 2), pick(rng, INT_BOUNDS)])
            elems.append(f"{idx}:{number(rng)}")
    return "{" + ",".join(elems) + "}/" + str(n)


def bit_text(rng):
    n = rng.choice([0, 1, 3, 8, 9, 64, 65, rng.randrange(0, 130)])
    return "".join(rng.choice("01") for _ in range(n))


def text_literal_of(rng, type_name):
    """The text of a value of one of quiver's types: valid (most often), near-valid (odd
    numbers, indices, dimensions), mutated, or junk."""
    r = rng.random()
    valid = r < 0.65
    if type_name == "sparsevec":
        base = sparse_text(rng, valid=valid)
    elif type_name in ("bit", "bit varying"):
        base = bit_text(rng)
    else:
        base = dense_text(rng, valid=valid)
    if r < 0.88:
        return base
    if r < 0.97:
        return mutate(rng, base)
    return random_text(rng)


def vector_expr(rng, type_name):
    """An SQL expression of type `type_name` (vector, halfvec, sparsevec, bit)."""
    r = rng.random()
    if r < 0.05:
        return f"NULL::{type_name}"
    if type_name in ("bit", "bit varying"):
        if r < 0.8:
            return f"B{sql_str(bit_text(rng))}"
        if r < 0.9:
            return f"{sql_str(bit_text(rng))}::varbit::bit({pick(rng, [1, 3, 8, 64])})"
        return f"binary_quantize({vector_expr(rng, 'vector')})"
    if r < 0.8:
        return f"{sql_str(text_literal_of(rng, type_name))}::{type_name}{typmod_suffix(rng)}"
    if r < 0.9:
        return f"{array_expr(rng, pick(rng, ['integer', 'real', 'double precision', 'numeric']))}::{type_name}{typmod_suffix(rng)}"
    other = pick(rng, ["vector", "halfvec", "sparsevec"])
    return f"{sql_str(text_literal_of(rng, other))}::{other}::{type_name}{typmod_suffix(rng)}"


def array_text(rng, elem_type):
    """Text of an array: 1-D, multi-dimensional, empty, with NULLs or odd bounds."""
    def elem():
        if rng.random() < 0.03:
            return "NULL"
        if elem_type == "integer":
            return str(rng.choice([pick(rng, INT_BOUNDS), rng.randrange(-5, 6)]))
        return number(rng) or "0"
    r = rng.random()
    if r < 0.6:
        return "{" + ",".join(elem() for _ in range(dim(rng))) + "}"
    if r < 0.8:
        rows, cols = rng.randrange(1, 4), rng.randrange(1, 4)
        return "{" + ",".join("{" + ",".join(elem() for _ in range(cols)) + "}" for _ in range(rows)) + "}"
    if r < 0.9:
        lo = rng.randrange(-3, 4)
        n = rng.randrange(1, 5)
        return f"[{lo}:{lo + n - 1}]=" + "{" + ",".join(elem() for _ in range(n)) + "}"
    return pick(rng, ["{}", "{{}}", "{NULL}", "{{{1}}}", "{{1,2},{3}}"])


def array_expr(rng, elem_type):
    r = rng.random()
    if r < 0.85:
        return f"{sql_str(array_text(rng, elem_type))}::{elem_type}[]"
    if r < 0.95:
        n = pick(rng, [16000, 16001, 20000])
        return f"array_fill({pick(rng, ['0', '1', '0.5'])}::{elem_type}, ARRAY[{n}])"
    return f"NULL::{elem_type}[]"


def scalar_expr(rng, type_name):
    """An SQL expression of a built-in type, biased towards boundaries."""
    if rng.random() < 0.06:
        return f"NULL::{type_name}"
    if type_name in ("integer", "smallint"):
        return f"({pick(rng, INT_BOUNDS)})::{type_name}" if rng.random() < 0.8 else f"({rng.randrange(-3, 20)})::{type_name}"
    if type_name == "bigint":
        return f"({pick(rng, BIGINT_BOUNDS)})::bigint"
    if type_name in ("double precision", "real", "numeric"):
        return f"{sql_str(pick(rng, FLOAT_BOUNDS))}::{type_name}"
    if type_name == "boolean":
        return pick(rng, ["true", "false"])
    if type_name == "oid":
        return f"{pick(rng, [0, 16, 701, 4294967295, 1])}::oid"
    if type_name == "cstring":
        return f"{sql_str(text_literal_of(rng, pick(rng, ['vector', 'sparsevec'])))}::cstring"
    if type_name == "cstring[]":
        items = [pick(rng, ["1", "3", "16000", "16001", "0", "-1", "a", "1.5", "", " 2 ", "99999999999", "NULL"])
                 for _ in range(rng.randrange(0, 3))]
        body = "{" + ",".join(x if x == "NULL" else '"' + x + '"' for x in items) + "}"
        if rng.random() < 0.15:
            body = "{" + body + "}"
        return f"{sql_str(body)}::cstring[]"
    if type_name.endswith("[]"):
        base = type_name[:-2]
        if base in ("integer", "real", "double precision", "numeric"):
            return array_expr(rng, base)
        return f"{sql_str(array_text(rng, 'integer'))}::{type_name}"
    if type_name in ("text", "character varying", "name"):
        return f"{sql_str(random_text(rng))}::{type_name}"
    if type_name == "jsonb":
        return sql_str(pick(rng, JSONB_SAMPLES)) + "::jsonb"
    if type_name == "internal":
        return "NULL::internal"
    return f"NULL::{type_name}"


def value_expr(rng, type_name):
    if type_name in ("vector", "halfvec", "sparsevec", "bit", "bit varying"):
        return vector_expr(rng, type_name)
    return scalar_expr(rng, type_name)


# ---- binary payloads (pgvector's wire format) ----

def _i32(x):
    return struct.pack(">I", x & 0xFFFFFFFF)


def _f32(x):
    return struct.pack(">f", x)


def _odd_float(rng):
    return pick(rng, [0.0, -0.0, 1.0, -2.5, math.nan, math.inf, -math.inf, 3.4e38, 1e-45, 65504.0, 70000.0])


def binary_payload(rng, type_name):
    """Bytes for `type_name`'s receive function: a valid value, a tampered one, or junk."""
    r = rng.random()
    if r < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    if type_name == "sparsevec":
        d = pick(rng, [1, 3, 5, 0, -1, 16000, 1000000000, 1000000001, 2**31 - 1, -(2**31)])
        nnz = pick(rng, [0, 1, 2, 3, -1, 16000, 16001, 2**31 - 1])
        unused = 0 if rng.random() < 0.85 else pick(rng, [1, -1])
        k = min(max(nnz, 0), 6) if rng.random() < 0.8 else rng.randrange(0, 6)
        idx = sorted(rng.randrange(0, max(1, min(d, 10))) for _ in range(k))
        if rng.random() < 0.3:
            idx = [pick(rng, [-1, 0, d, d - 1, 2**31 - 1, 5]) for _ in range(k)]
        vals = [rng.choice([rng.uniform(-3, 3), _odd_float(rng)]) for _ in range(k)]
        b = b"".join(_i32(x) for x in [d, nnz, unused] + idx)
        b += b"".join(_f32(v) for v in vals)
    else:
        d = pick(rng, [1, 2, 3, 4, 0, 16000, 16001, 65535, 32768])
        unused = 0 if rng.random() < 0.85 else pick(rng, [1, 65535])
        k = min(d, 6) if rng.random() < 0.8 else rng.randrange(0, 7)
        b = struct.pack(">HH", d, unused)
        for _ in range(k):
            v = rng.choice([rng.uniform(-3, 3), _odd_float(rng)])
            if type_name == "halfvec":
                b += struct.pack(">e", v) if abs(v) <= 65504 or not math.isfinite(v) else b"\x7c\x00"
            else:
                b += _f32(v)
    if r < 0.4:
        b = bytearray(b)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(3)
            if op == 0 and b:
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            elif op == 1:
                b = b[: rng.randrange(len(b) + 1)]
            else:
                b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6)))
        b = bytes(b)
    return b
