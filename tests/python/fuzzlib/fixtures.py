"""The fixture collections of the collections phase (schemas covering every field type,
partition keys, a dynamic field) and generators of valid arguments for them."""
from fuzzlib.values import pick

# Fixture collections: (name, create_collection named arguments as SQL, fields by kind).
FIXTURES = {
    "fz_docs": {
        "create": "SELECT quiver.create_collection('fz_docs', dimension => 3, auto_id => true)",
        "vector_fields": {"vector": ("float", 3)},
        "scalar_fields": {"id": "int"},
        "dynamic": True,
    },
    "fz_goods": {
        "create": """SELECT quiver.create_collection('fz_goods', schema => '{"fields": [
  {"name": "pk", "type": "VARCHAR", "is_primary": true, "max_length": 16},
  {"name": "emb", "type": "FLOAT_VECTOR", "dim": 2},
  {"name": "half", "type": "FLOAT16_VECTOR", "dim": 2},
  {"name": "bits", "type": "BINARY_VECTOR", "dim": 8},
  {"name": "sparse", "type": "SPARSE_FLOAT_VECTOR"},
  {"name": "title", "type": "VARCHAR", "max_length": 10},
  {"name": "price", "type": "DOUBLE", "nullable": true},
  {"name": "stock", "type": "INT32", "default_value": 5},
  {"name": "small", "type": "INT8", "nullable": true},
  {"name": "ok", "type": "BOOL", "nullable": true},
  {"name": "tags", "type": "ARRAY", "element_type": "VARCHAR", "max_length": 8, "max_capacity": 3, "nullable": true},
  {"name": "nums", "type": "ARRAY", "element_type": "INT64", "max_capacity": 4, "nullable": true},
  {"name": "meta", "type": "JSON", "nullable": true}]}', metric_type => 'l2',
  index => '[{"field_name": "emb", "params": {"M": 8, "efConstruction": 32}}, {"field_name": "bits", "metric_type": "hamming"}]')""",
        "vector_fields": {"emb": ("float", 2), "half": ("half", 2), "bits": ("bits", 8), "sparse": ("sparse", None)},
        "scalar_fields": {"pk": "str", "title": "str", "price": "float", "stock": "int", "small": "int",
                          "ok": "bool", "tags": "strarray", "nums": "intarray", "meta": "json"},
        "dynamic": False,
    },
    "fz_tenants": {
        "create": """SELECT quiver.create_collection('fz_tenants', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "tenant", "type": "VARCHAR", "max_length": 12, "is_partition_key": true},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 4}]}', metric_type => 'ip', num_partitions => 4,
  index => '{"field_name": "v"}')""",
        "vector_fields": {"v": ("float", 4)},
        "scalar_fields": {"id": "int", "tenant": "str"},
        "dynamic": False,
    },
}

SEED_ROWS = {
    "fz_docs": [{"vector": [1, 0, 0], "color": "red", "n": 1}, {"vector": [0, 1, 0], "color": "blue"},
                {"vector": [0, 0, 1], "tags": ["a", "b"], "deep": {"x": [1, {"y": 2}]}}],
    "fz_goods": [
        {"pk": "a", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {"0": 1}, "title": "apple",
         "price": 1.5, "tags": ["fruit", "red"], "nums": [1, 2], "meta": {"origin": "fr", "kcal": 52}},
        {"pk": "b", "emb": [1, 0], "half": [1, 0], "bits": [0, 0, 0, 0, 1, 1, 1, 1], "sparse": {"indices": [1], "values": [2]},
         "title": "banana", "ok": True, "small": -3, "meta": {"origin": "ec"}},
    ],
    "fz_tenants": [{"id": i, "tenant": f"t{i % 3}", "v": [i, 1, 0, -i]} for i in range(1, 7)],
}

def field_names(coll):
    f = FIXTURES.get(coll)
    if not f:
        return ["id", "vector"]
    return list(f["scalar_fields"]) + list(f["vector_fields"])


# ---- valid arguments: most statements of the phase pass validation, to reach the SQL they build ----

VALID_FILTERS = {
    "fz_docs": ['id > 1', 'color == "red"', 'n >= 1 or color in ["blue"]', 'not (id == 2)', 'tags is null',
                'json_contains(tags, "a")', 'deep["x"][0] == 1', 'id in [1, 2, 3] and color like "r%"',
                'id * 2 - 1 <= 3', '$meta["color"] != "red"', 'n / 0.5 > 1'],
    "fz_goods": ['price > 1', 'title like "a%"', 'array_contains(tags, "red")', 'meta["origin"] == "fr"',
                 'stock + 1 > 2', 'small is null', 'ok == true', 'array_length(nums) >= 1', 'pk in ["a", "b"]',
                 'price / 2 < 1 and not (stock == 5)', 'nums[0] == 1', 'tags[1] == "red"',
                 'array_contains_any(nums, [1, 3])', 'json_contains_all(meta["tags"], ["veg"])', '1 < stock < 9'],
    "fz_tenants": ['tenant == "t1"', 'id % 2 == 0', 'id >= 2 and tenant in ["t0", "t2"]', 'color == 1',
                   'tenant like "t%"', 'not (id in [1])'],
}
METRIC_OF = {"fz_docs": "cosine", "fz_goods": "l2", "fz_tenants": "ip"}


def valid_filter(rng, coll):
    pool = VALID_FILTERS.get(coll, ["id > 0"])
    if rng.random() < 0.7:
        return pick(rng, pool)
    return f"({pick(rng, pool)}) {pick(rng, ['and', 'or'])} ({pick(rng, pool)})"


def valid_vector(rng, coll, field):
    kind, d = FIXTURES[coll]["vector_fields"][field]
    if kind == "bits":
        return "".join(rng.choice("01") for _ in range(d))
    if kind == "sparse":
        return {str(i): round(rng.uniform(-3, 3), 3) for i in rng.sample(range(10), rng.randrange(1, 4))}
    return [round(rng.uniform(-3, 3), 3) for _ in range(d)]


def valid_row(rng, coll):
    f = FIXTURES[coll]
    row = {}
    for name, kind in f["scalar_fields"].items():
        if name in ("id",) and coll != "fz_tenants":
            continue
        if kind == "str":
            row[name] = pick(rng, ["a", "b", "c", "t0", "t1", "kiwi"]) + str(rng.randrange(100))
        elif kind == "int":
            row[name] = rng.randrange(-100, 100) if name != "id" else rng.randrange(1, 10**6)
        elif kind == "float":
            row[name] = round(rng.uniform(0, 10), 2)
        elif kind == "bool":
            row[name] = rng.random() < 0.5
        elif kind == "strarray":
            row[name] = [pick(rng, ["a", "red", "fruit"]) for _ in range(rng.randrange(0, 3))]
        elif kind == "intarray":
            row[name] = [rng.randrange(5) for _ in range(rng.randrange(0, 4))]
        else:
            row[name] = {"origin": pick(rng, ["fr", "ec"]), "kcal": rng.randrange(100)}
    for name in f["vector_fields"]:
        row[name] = valid_vector(rng, coll, name)
    if f["dynamic"]:
        row["color"] = pick(rng, ["red", "blue"])
    return row


def valid_search_params(rng, coll, field):
    metric = METRIC_OF.get(coll, "l2")
    if FIXTURES[coll]["vector_fields"][field][0] == "bits":
        metric = "hamming"
    choices = [{}, {"ef": rng.randrange(1, 200)}, {"metric_type": metric},
               {"radius": 5, "range_filter": 0.1} if metric in ("l2", "hamming") else {"radius": -5, "range_filter": 5},
               {"group_by_field": pick(rng, list(FIXTURES[coll]["scalar_fields"])), "group_size": rng.randrange(1, 3)}]
    return pick(rng, choices)


def valid_ids(rng, coll):
    if coll == "fz_goods":
        return [pick(rng, ["a", "b", "zz"]) for _ in range(rng.randrange(1, 3))]
    return [rng.randrange(1, 8) for _ in range(rng.randrange(1, 3))]
