"""Generators for the collections API: Milvus filter expressions from a small grammar (then
mutated), and JSON documents (rows, query vectors, search / index parameters, schemas), valid
or not, for the fixture collections."""
import json

from fuzzlib.fixtures import FIXTURES, field_names
from fuzzlib.values import FLOAT_BOUNDS, INT_BOUNDS, mutate, pick, random_text

NAMES = list(FIXTURES) + ["fz_nope", "", " ", "FZ_DOCS", "fz docs", "a" * 64, "a" * 63, "x\"; DROP TABLE fz_docs; --",
                          "pg_class", "quiver", "1abc", "é", "fz_docs\u0000"]
METRICS = ["l2", "L2", "ip", "IP", "cosine", "COSINE", "hamming", "jaccard", "dot", "", "l1", "bm25"]
INDEX_TYPES = ["HNSW", "hnsw", "AUTOINDEX", "IVF_FLAT", "DISKANN", "FLAT", "", "BOGUS"]
DATA_TYPES = ["BOOL", "INT8", "INT16", "INT32", "INT64", "FLOAT", "DOUBLE", "VARCHAR", "JSON", "ARRAY",
              "FLOAT_VECTOR", "FLOAT16_VECTOR", "BFLOAT16_VECTOR", "SPARSE_FLOAT_VECTOR", "BINARY_VECTOR",
              "DataType.INT64", "string", "int128", ""]


def some_field(rng, coll):
    r = rng.random()
    if r < 0.8:
        return pick(rng, field_names(coll))
    return pick(rng, ["$meta", "nope", "", "*", "%", "id ", "ID", "color", "\"x\"", random_text(rng, 10)])


# ---- filters ----

def _literal(rng):
    r = rng.random()
    if r < 0.3:
        return str(pick(rng, INT_BOUNDS + [9223372036854775807, 9223372036854775808, -9223372036854775808]))
    if r < 0.5:
        return pick(rng, FLOAT_BOUNDS[:8] + ["1.5", "-0.25", "1e10", "1e400", "0x10", "1_000"])
    if r < 0.75:
        s = pick(rng, ["red", "", "a%", "%", "_", "x'y", "\\\"", "\\u00e9", "\\ud800", "é", "fr"])
        return json.dumps(s) if rng.random() < 0.8 else "'" + s + "'"
    if r < 0.85:
        return pick(rng, ["true", "false", "True", "FALSE", "null"])
    return "[" + ", ".join(_literal(rng) for _ in range(rng.randrange(0, 4))) + "]"


def _operand(rng, coll, depth):
    r = rng.random()
    if r < 0.45:
        name = some_field(rng, coll)
        if rng.random() < 0.25:
            for _ in range(rng.randrange(1, 3)):
                name += f"[{json.dumps(pick(rng, ['a', 'origin', 'x', 'kcal']))}]" if rng.random() < 0.6 else f"[{pick(rng, [0, 1, -1, 99])}]"
        return name
    if r < 0.8 or depth > 3:
        return _literal(rng)
    op = pick(rng, ["+", "-", "*", "/", "%", "**"])
    return f"({_operand(rng, coll, depth + 1)} {op} {_operand(rng, coll, depth + 1)})"


def filter_expr(rng, coll, depth=0):
    """A filter from the grammar: comparisons, in / like / is null, functions, and / or / not."""
    r = rng.random()
    if depth < 3 and r < 0.25:
        op = pick(rng, ["and", "or", "&&", "||", "AND"])
        return f"({filter_expr(rng, coll, depth + 1)} {op} {filter_expr(rng, coll, depth + 1)})"
    if depth < 3 and r < 0.32:
        return f"{pick(rng, ['not', '!', 'NOT'])} ({filter_expr(rng, coll, depth + 1)})"
    r = rng.random()
    a = _operand(rng, coll, depth)
    if r < 0.45:
        return f"{a} {pick(rng, ['==', '!=', '<', '<=', '>', '>=', '<>', '='])} {_operand(rng, coll, depth)}"
    if r < 0.55:
        return f"{a} {pick(rng, ['in', 'not in'])} [{', '.join(_literal(rng) for _ in range(rng.randrange(0, 4)))}]"
    if r < 0.65:
        return f"{a} {pick(rng, ['like', 'not like', 'LIKE'])} {_literal(rng)}"
    if r < 0.72:
        return f"{a} {pick(rng, ['is null', 'is not null', 'IS NULL'])}"
    if r < 0.9:
        fn = pick(rng, ["json_contains", "json_contains_all", "json_contains_any", "array_contains",
                        "array_contains_all", "array_contains_any", "array_length", "exists", "text_match", "nope"])
        args = [a] + [_literal(rng) for _ in range(rng.randrange(0, 3))]
        return f"{fn}({', '.join(args)})"
    return f"{_literal(rng)} {pick(rng, ['<', '<='])} {a} {pick(rng, ['<', '<='])} {_literal(rng)}"


def filter_text(rng, coll):
    r = rng.random()
    if r < 0.55:
        return filter_expr(rng, coll)
    if r < 0.85:
        return mutate(rng, filter_expr(rng, coll))
    if r < 0.93:
        n = pick(rng, [50, 200, 1000, 5000])
        return "(" * n + "id > 0" + ")" * n if rng.random() < 0.5 else " and ".join(["id > 0"] * n)
    return random_text(rng, 60)


# ---- JSON documents ----

# A number beyond double precision: JSON (and jsonb) allow it, Python's floats do not.
BIG = "__fuzz_big_number__"


def dumps(doc):
    return json.dumps(doc).replace(f'"{BIG}"', "1e400")


def _vec_json(rng, kind, d):
    if kind == "bits":
        r = rng.random()
        if r < 0.4:
            return "".join(rng.choice("01") for _ in range(pick(rng, [8, 8, 7, 9, 0, 16])))
        if r < 0.7:
            return [rng.randrange(0, 2) for _ in range(pick(rng, [8, 8, 1, 9]))]
        return [pick(rng, [255, 0, 256, -1, 1])]
    if kind == "sparse":
        r = rng.random()
        if r < 0.5:
            return {str(pick(rng, [0, 1, 5, -1, 2**31, 999999999, 1000000000])): _num(rng) for _ in range(rng.randrange(0, 4))}
        if r < 0.8:
            k = rng.randrange(0, 4)
            return {"indices": [pick(rng, [0, 1, 2, -1, 2**32]) for _ in range(k)], "values": [_num(rng) for _ in range(k + rng.choice([0, 0, 1, -1]))]}
        return pick(rng, [{}, [], "x", {"indices": "a"}, {"0": "x"}])
    n = d if rng.random() < 0.7 else pick(rng, [0, 1, d + 1 if d else 2, 16001])
    return [_num(rng) for _ in range(n)]


def _num(rng):
    r = rng.random()
    if r < 0.7:
        return round(rng.uniform(-5, 5), 3)
    return pick(rng, [0, -0.0, 1e39, -1e39, 1e308, 65520, 2**63, "NaN", "1", None, True, [1], {"a": 1}, BIG])


def _scalar_json(rng, kind):
    r = rng.random()
    if r < 0.15:
        return pick(rng, [None, "x", 1.5, [], {}, True, 2**63, -(2**63) - 1, "a" * 20])
    return {
        "int": lambda: pick(rng, [0, 1, -1, 127, 128, 2**31, 2**63 - 1, -(2**63)]),
        "float": lambda: pick(rng, [0.5, -1, 1e308, 1e-320, 3]),
        "str": lambda: pick(rng, ["a", "", "x'y", "0123456789", "01234567890", "é" * 6, "t1", "t2"]),
        "bool": lambda: pick(rng, [True, False]),
        "strarray": lambda: [pick(rng, ["a", "", "toolongvalue"]) for _ in range(rng.randrange(0, 5))],
        "intarray": lambda: [pick(rng, [1, -1, 2**63 - 1, 2**63]) for _ in range(rng.randrange(0, 6))],
        "json": lambda: pick(rng, [{"a": 1}, [1, 2], "s", 1, None, {"x": {"y": [None]}}]),
    }[kind]()


def row_json(rng, coll):
    f = FIXTURES.get(coll)
    if not f:
        return {"vector": [1, 2, 3]}
    row = {}
    for name, kind in f["scalar_fields"].items():
        if rng.random() < 0.85:
            row[name] = _scalar_json(rng, kind)
    for name, (kind, d) in f["vector_fields"].items():
        if rng.random() < 0.9:
            row[name] = _vec_json(rng, kind, d)
    if rng.random() < 0.2:
        row[pick(rng, ["extra", "$meta", "", "id", "color"])] = _scalar_json(rng, "json")
    return row


def rows_doc(rng, coll):
    r = rng.random()
    if r < 0.8:
        return dumps([row_json(rng, coll) for _ in range(rng.randrange(0, 4))])
    if r < 0.9:
        return dumps(row_json(rng, coll))
    return pick(rng, ["null", "1", "\"x\"", "[1]", "[[]]", "[null]", "{}"])


def query_vectors(rng, coll, field=None):
    f = FIXTURES.get(coll)
    kind, d = ("float", 3)
    if f:
        vf = f["vector_fields"]
        kind, d = vf.get(field) or pick(rng, list(vf.values()))
    r = rng.random()
    if r < 0.75:
        return dumps(_vec_json(rng, kind, d))
    if r < 0.9:
        return dumps([_vec_json(rng, kind, d) for _ in range(rng.randrange(0, 3))])
    return pick(rng, ["null", "[]", "[[]]", "\"\"", "{}", "[[1,2],[1]]", "[\"a\"]"])


def search_params(rng):
    return dumps(search_params_doc(rng)) if rng.random() < 0.9 else pick(rng, ["[]", "1", "\"x\"", "null"])


def search_params_doc(rng):
    keys = ["ef", "metric_type", "radius", "range_filter", "group_by_field", "group_size", "strict_group_size",
            "nprobe", "params", "level", "iterative_filter", "ef_search", ""]
    d = {}
    for _ in range(rng.randrange(0, 4)):
        k = pick(rng, keys)
        d[k] = pick(rng, [1, 0, -1, 10, 1000, 2**31, 1e308, -1e308, 0.5, "l2", "cosine", "ip", "hamming", "x",
                          None, True, [1], {"ef": 8}, "id", "tenant", "color", BIG])
    return d


def index_params(rng):
    d = {}
    for _ in range(rng.randrange(0, 3)):
        d[pick(rng, ["M", "m", "efConstruction", "ef_construction", "nlist", ""])] = pick(
            rng, [2, 1, 0, 100, 101, 4, 1000, 1001, -1, 2**31, 1.5, "16", None])
    return json.dumps(d) if rng.random() < 0.9 else pick(rng, ["[]", "1", "\"x\""])


def index_spec(rng):
    spec = {"field_name": pick(rng, ["vector", "emb", "v", "nope", "id", ""]), "index_type": pick(rng, INDEX_TYPES)}
    if rng.random() < 0.5:
        spec["metric_type"] = pick(rng, METRICS)
    if rng.random() < 0.5:
        spec["params"] = json.loads(index_params(rng)) if rng.random() < 0.9 else "x"
    return json.dumps(spec if rng.random() < 0.7 else [spec, spec])


def schema_doc(rng):
    fields = []
    for i in range(rng.randrange(0, 6)):
        t = pick(rng, DATA_TYPES)
        f = {"name": pick(rng, ["id", "pk", "v", f"f{i}", "", "$meta", "a" * 70, "x y", "vector"]), "type": t}
        for key, vals in (("is_primary", [True, False, 1]), ("dim", [0, 1, 3, 16000, 16001, -1, "3"]),
                          ("max_length", [0, 1, 10, 65535, 65536, -1]), ("element_type", DATA_TYPES[:8]),
                          ("max_capacity", [0, 1, 4096, 4097]), ("nullable", [True, False]),
                          ("default_value", [0, "x", None, 300, 1.5, [1]]), ("is_partition_key", [True, False])):
            if rng.random() < 0.3:
                f[key] = pick(rng, vals)
        fields.append(f)
    doc = {"fields": fields}
    if rng.random() < 0.3:
        doc["enable_dynamic_field"] = pick(rng, [True, False, "yes"])
    return json.dumps(doc) if rng.random() < 0.9 else pick(rng, ["[]", "{}", "{\"fields\": 1}", "null"])


def hybrid_requests(rng, coll):
    reqs = []
    for _ in range(rng.randrange(0, 4)):
        fld = some_field(rng, coll)
        req = {"data": _vec_json(rng, *FIXTURES[coll]["vector_fields"].get(fld, ("float", 3))) if coll in FIXTURES
               else [1, 2, 3], "anns_field": fld}
        if rng.random() < 0.5:
            req["limit"] = pick(rng, [1, 0, -1, 10, 2**40])
        if rng.random() < 0.3:
            req["filter"] = filter_expr(rng, coll)
        if rng.random() < 0.3:
            req["params"] = search_params_doc(rng) if rng.random() < 0.9 else 1
        reqs.append(req)
    return dumps(reqs) if rng.random() < 0.9 else pick(rng, ["{}", "[1]", "null", "[[]]"])


def ranker_params(rng):
    return json.dumps(pick(rng, [{"k": 60}, {"k": 0}, {"k": -1}, {"k": 1e308}, {"weights": [0.5, 0.5]},
                                 {"weights": [1, 1]}, {"weights": []}, {"weights": ["a"]}, {"weights": [2, -1]},
                                 {}, {"x": 1}, [], 1, None]))
