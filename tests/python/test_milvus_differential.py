"""The same MilvusClient scenarios against Milvus Lite (pymilvus + milvus-lite from PyPI) and
against quiver through clients/python's MilvusClient; their results must agree: the same ids in
the same order where results are exact, distances within float tolerance, the same rows from
queries and gets, the same counts. Differences that are documented (README: Coming from Milvus)
are normalised here and named where they are."""
import math
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

import quiver_milvus  # noqa: E402

DIM = 8
ROWS = 300
COLORS = ["red", "green", "blue", "grey", "reddish"]


@pytest.fixture(scope="module")
def both(dsn, tmp_path_factory):
    from pymilvus import MilvusClient as LiteClient

    lite = LiteClient(str(tmp_path_factory.mktemp("milvus-lite") / "lite.db"))
    ours = quiver_milvus.MilvusClient(dsn)
    yield lite, ours
    ours.close()
    lite.close()


def fresh(clients, name, **create):
    for c in clients:
        c.drop_collection(name)
        c.create_collection(name, **create)


def rows_for(rng, n, start=0):
    return [{"id": start + i, "vector": [rng.uniform(-1, 1) for _ in range(DIM)],
             "color": COLORS[i % len(COLORS)], "n": i, "score": round(rng.uniform(0, 100), 3),
             "tags": [i % 3, i % 5], "meta": {"a": i % 7, "b": {"c": "x" if i % 2 else "y"}}}
            for i in range(n)]


def same_number(a, b, tol=1e-4):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def normal(value):
    """Values compare across engines: floats to 5 significant digits, numpy scalars as Python."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float):
        return float(f"{value:.5g}")
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    return value


def assert_same_hits(lite_hits, our_hits, what, ties=False):
    """Same hits in the same order. With `ties` (fused scores, where equal scores are common),
    hits of equal score may come in any order, and the group cut by the limit may differ."""
    assert len(lite_hits) == len(our_hits), what
    for qi, (theirs, ours) in enumerate(zip(lite_hits, our_hits)):
        theirs, ours = list(theirs), list(ours)
        if ties:
            assert [normal(h["distance"]) for h in ours] == [normal(h["distance"]) for h in theirs], what
            groups = lambda hits: {normal(h["distance"]): set() for h in hits}
            mine, their = groups(ours), groups(theirs)
            for h in ours:
                mine[normal(h["distance"])].add(h.id)
            for h in theirs:
                their[normal(h["distance"])].add(h.id)
            last = normal(theirs[-1]["distance"]) if theirs else None
            assert {k: v for k, v in mine.items() if k != last} == {k: v for k, v in their.items() if k != last}, what
            continue
        assert [h.id for h in ours] == [h.id for h in theirs], f"{what}: query {qi}"
        for t, o in zip(theirs, ours):
            assert list(o.keys()) == list(t.keys()), what
            assert same_number(o["distance"], t["distance"]), f"{what}: query {qi} id {t.id}"
            assert normal(dict(o["entity"])) == normal(dict(t["entity"])), f"{what}: query {qi} id {t.id}"


def by_id(rows, key="id"):
    return sorted((normal(dict(r)) for r in rows), key=lambda r: r[key])


# --------------------------------------------------------------------------------------------


FILTERS = [
    "n > 250",
    'color == "red"',
    'color in ["red", "blue"]',
    'color not in ["red", "blue"] and n < 100',
    "n > 30 and score >= 20.5",
    'color like "red%"',
    "(n > 10 and n < 40) or n >= 290",
    "not (n < 280)",
    'meta["a"] == 3',
    'meta["b"]["c"] == "x" and n < 60',
    "array_contains(tags, 2)",
    "array_contains_any(tags, [1, 4]) and n > 200",
    "array_length(tags) == 2 and n == 7",
    "(n + 1) * 2 > 590",
]


def test_quick_collection_with_dynamic_fields(both):
    rng = random.Random(7)
    fresh(both, "diff_quick", dimension=DIM)
    data = rows_for(rng, ROWS)
    for c in both:
        assert c.insert("diff_quick", data)["insert_count"] == ROWS
    queries = [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in range(5)]
    lite, ours = both
    # unfiltered: the exact nearest 10 (quiver's hnsw asked for a wide search: the whole graph)
    args = dict(limit=10, output_fields=["color", "n"])
    assert_same_hits(lite.search("diff_quick", queries, **args),
                     ours.search("diff_quick", queries, search_params={"params": {"ef": 400}}, **args), "search")
    for f in FILTERS:
        assert_same_hits(lite.search("diff_quick", queries[:2], filter=f, **args),
                         ours.search("diff_quick", queries[:2], filter=f, search_params={"params": {"ef": 400}}, **args),
                         f"search filter {f}")
        theirs = lite.query("diff_quick", filter=f, output_fields=["n", "color", "tags", "meta"])
        assert by_id(ours.query("diff_quick", filter=f, output_fields=["n", "color", "tags", "meta"])) == by_id(theirs), f
        assert ours.query("diff_quick", filter=f, output_fields=["count(*)"]) == \
            lite.query("diff_quick", filter=f, output_fields=["count(*)"]), f
    # get, delete by ids and by filter, counts after
    ids = [3, 17, 250, 9999]
    assert by_id(ours.get("diff_quick", ids, output_fields=["n", "color"])) == \
        by_id(lite.get("diff_quick", ids, output_fields=["n", "color"]))
    for c in both:
        c.delete("diff_quick", ids=[3, 17])
        c.delete("diff_quick", filter='color == "grey" and n > 100')
    for f in ("n >= 0", 'color == "grey"'):
        assert ours.query("diff_quick", filter=f, output_fields=["count(*)"]) == \
            lite.query("diff_quick", filter=f, output_fields=["count(*)"]), f
    assert_same_hits(lite.search("diff_quick", queries, **args),
                     ours.search("diff_quick", queries, search_params={"params": {"ef": 400}}, **args),
                     "search after deletes")


def test_schema_collection_l2_partitions_range_and_upsert(both):
    rng = random.Random(11)
    lite, ours = both
    for c in both:
        c.drop_collection("diff_schema")
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", quiver_milvus.DataType.VARCHAR if c is ours else _lite_type("VARCHAR"),
                         is_primary=True, max_length=16)
        dt = (lambda n: getattr(quiver_milvus.DataType, n)) if c is ours else _lite_type
        schema.add_field("emb", dt("FLOAT_VECTOR"), dim=DIM)
        schema.add_field("title", dt("VARCHAR"), max_length=32)
        schema.add_field("year", dt("INT64"))
        schema.add_field("price", dt("DOUBLE"))
        schema.add_field("labels", dt("ARRAY"), element_type=dt("INT64"), max_capacity=4)
        schema.add_field("info", dt("JSON"))
        idx = c.prepare_index_params()
        idx.add_index(field_name="emb", index_type="AUTOINDEX", metric_type="L2")
        c.create_collection("diff_schema", schema=schema, index_params=idx)
        c.create_partition("diff_schema", "archive")
    data = [{"pk": f"k{i:03d}", "emb": [rng.gauss(0, 1) for _ in range(DIM)], "title": f"doc {i}",
             "year": 1990 + i % 35, "price": round(rng.uniform(1, 500), 2), "labels": [i % 4, i % 9],
             "info": {"lang": "en" if i % 3 else "de", "pages": i}} for i in range(200)]
    old = [dict(r, pk=f"old{i:03d}", year=1950, emb=[x * 1.05 + 0.01 for x in r["emb"]]) for i, r in enumerate(data[:40])]
    for c in both:
        c.insert("diff_schema", data)
        c.insert("diff_schema", old, partition_name="archive")
    assert sorted(ours.list_partitions("diff_schema")) == sorted(lite.list_partitions("diff_schema"))
    assert ours.has_partition("diff_schema", "archive") and not ours.has_partition("diff_schema", "nope")
    q = [[rng.gauss(0, 1) for _ in range(DIM)] for _ in range(3)]
    sp = {"params": {"ef": 400}}
    args = dict(limit=8, output_fields=["title", "year"], anns_field="emb")
    assert_same_hits(lite.search("diff_schema", q, **args), ours.search("diff_schema", q, search_params=sp, **args),
                     "l2 search")
    for parts in (["archive"], ["_default"], ["_default", "archive"]):
        assert_same_hits(lite.search("diff_schema", q, partition_names=parts, **args),
                         ours.search("diff_schema", q, partition_names=parts, search_params=sp, **args), f"partitions {parts}")
    for f in ('year >= 2010 and info["lang"] == "de"', "array_contains_all(labels, [1, 1])", 'title like "doc 1%"',
              "price < 100.5 or year == 1950"):
        assert_same_hits(lite.search("diff_schema", q, filter=f, **args),
                         ours.search("diff_schema", q, filter=f, search_params=sp, **args), f)
    # range search: distances in (range_filter, radius] (L2)
    near = lite.search("diff_schema", q[:1], limit=30, anns_field="emb")[0]
    radius, range_filter = near[20]["distance"], near[4]["distance"]
    rs = {"params": {"radius": radius * 1.0001, "range_filter": range_filter * 0.9999}}
    ours_rs = ours.search("diff_schema", q[:1], limit=30, anns_field="emb", search_params={"params": dict(rs["params"], ef=400)})
    assert_same_hits(lite.search("diff_schema", q[:1], limit=30, anns_field="emb", search_params=rs), ours_rs, "range")
    assert len(ours_rs[0]) == 17  # ranks 4 to 20 of the nearest 30
    # upsert replaces by key; get returns the new values
    for c in both:
        c.upsert("diff_schema", [dict(data[5], title="replaced", year=2099)])
    got = [normal(r) for r in (ours.get("diff_schema", ["k005"], output_fields=["title", "year"]),
                               lite.get("diff_schema", ["k005"], output_fields=["title", "year"]))]
    assert got[0] == got[1] == [{"pk": "k005", "title": "replaced", "year": 2099}]
    for f in ("year == 2099", "year == 1950"):
        assert ours.query("diff_schema", filter=f, output_fields=["count(*)"]) == \
            lite.query("diff_schema", filter=f, output_fields=["count(*)"]), f


def _lite_type(name):
    from pymilvus import DataType

    return getattr(DataType, name)


def test_two_vector_fields_hybrid_and_grouping_search(both):
    rng = random.Random(23)
    lite, ours = both
    import pymilvus

    for c in both:
        mod = quiver_milvus if c is ours else pymilvus
        c.drop_collection("diff_multi")
        schema = c.create_schema(auto_id=False, enable_dynamic_field=True)
        schema.add_field("id", mod.DataType.INT64, is_primary=True)
        schema.add_field("text_emb", mod.DataType.FLOAT_VECTOR, dim=DIM)
        schema.add_field("image_emb", mod.DataType.FLOAT_VECTOR, dim=4)
        schema.add_field("doc", mod.DataType.INT64)
        idx = c.prepare_index_params()
        idx.add_index(field_name="text_emb", index_type="AUTOINDEX", metric_type="COSINE")
        idx.add_index(field_name="image_emb", index_type="AUTOINDEX", metric_type="L2")
        c.create_collection("diff_multi", schema=schema, index_params=idx)
    data = [{"id": i, "text_emb": [rng.gauss(0, 1) for _ in range(DIM)], "image_emb": [rng.gauss(0, 1) for _ in range(4)],
             "doc": i // 6, "lang": "en" if i % 4 else "fr"} for i in range(240)]
    for c in both:
        c.insert("diff_multi", data)
    tq, iq = [rng.gauss(0, 1) for _ in range(DIM)], [rng.gauss(0, 1) for _ in range(4)]
    sp = {"params": {"ef": 400}}
    for field, q in (("text_emb", tq), ("image_emb", iq)):
        args = dict(anns_field=field, limit=7, output_fields=["doc", "lang"])
        assert_same_hits(lite.search("diff_multi", [q], **args),
                         ours.search("diff_multi", [q], search_params=sp, **args), field)
    # grouping search: the best hit of each of the best 5 documents
    args = dict(anns_field="text_emb", limit=5, output_fields=["doc"], group_by_field="doc")
    assert_same_hits(lite.search("diff_multi", [tq], **args), ours.search("diff_multi", [tq], search_params=sp, **args),
                     "grouping")
    # hybrid search: RRF, and weighted scores (each request with its own filter)
    for ranker in ("rrf", "weighted"):
        hits = []
        for c in both:
            mod = quiver_milvus if c is ours else pymilvus
            reqs = [mod.AnnSearchRequest([tq], "text_emb", {"metric_type": "COSINE", "params": {"ef": 400}}, limit=20),
                    mod.AnnSearchRequest([iq], "image_emb", {"metric_type": "L2", "params": {"ef": 400}}, limit=20,
                                         expr='lang == "en"')]
            rk = mod.RRFRanker(60) if ranker == "rrf" else mod.WeightedRanker(0.7, 0.3)
            hits.append(c.hybrid_search("diff_multi", reqs, rk, limit=10, output_fields=["doc"]))
        assert_same_hits(hits[0], hits[1], ranker, ties=True)


def test_string_keys_describe_aliases_and_rename(both):
    lite, ours = both
    fresh(both, "diff_str", dimension=4, id_type="string", max_length=12, metric_type="IP")
    for c in both:
        c.drop_collection("diff_str_renamed")
        c.insert("diff_str", [{"id": f"s{i}", "vector": [i, 1, -i, 0.5]} for i in range(20)])
        c.create_alias("diff_str", "diff_str_alias")
    q = [[0.5, 1, -1, 0]]
    assert_same_hits(lite.search("diff_str_alias", q, limit=5, output_fields=["id"]),
                     ours.search("diff_str_alias", q, limit=5, output_fields=["id"], search_params={"params": {"ef": 100}}),
                     "alias")
    theirs, mine = lite.describe_collection("diff_str"), ours.describe_collection("diff_str")
    for key in ("collection_name", "auto_id", "enable_dynamic_field", "consistency_level_name", "num_shards"):
        assert mine[key] == theirs[key], key
    assert mine["aliases"] == ["diff_str_alias"]  # Milvus lists them too; Milvus Lite leaves them out
    shape = lambda d: [(f["name"], int(f["type"]), f.get("is_primary", False), f["params"].get("dim"),
                        int(f["params"].get("max_length", 0))) for f in d["fields"]]
    assert shape(mine) == shape(theirs)
    assert ours.list_indexes("diff_str") == lite.list_indexes("diff_str")
    mi, ti = ours.describe_index("diff_str", "vector"), lite.describe_index("diff_str", "vector")
    for key in ("metric_type", "field_name", "index_name", "total_rows", "indexed_rows", "pending_index_rows", "state"):
        assert mi[key] == ti[key], key
    assert ours.list_aliases("diff_str")["aliases"] == lite.list_aliases("diff_str")["aliases"] == ["diff_str_alias"]
    assert ours.get_collection_stats("diff_str") == lite.get_collection_stats("diff_str") == {"row_count": 20}
    for c in both:
        c.drop_alias("diff_str_alias")
        c.rename_collection("diff_str", "diff_str_renamed")
    assert ours.has_collection("diff_str_renamed") and not ours.has_collection("diff_str")
    assert sorted(n for n in ours.list_collections() if n.startswith("diff_str")) == \
        sorted(n for n in lite.list_collections() if n.startswith("diff_str")) == ["diff_str_renamed"]
    # errors: pymilvus's exception classes
    from pymilvus.exceptions import MilvusException

    for c in both:
        with pytest.raises(MilvusException):
            c.insert("diff_str_renamed", [{"id": "x", "vector": [1, 2]}])
        with pytest.raises(MilvusException):
            c.search("no_such_collection", [[1, 2, 3, 4]], limit=1)


def test_client_installs_with_pip(tmp_path):
    import subprocess

    import shutil

    # a copy: building writes build/ and *.egg-info next to the sources
    root = tmp_path / "src"
    shutil.copytree(Path(__file__).resolve().parents[2] / "clients" / "python", root,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--target", str(tmp_path / "site"), str(root)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code = "import quiver_milvus, sys; print(quiver_milvus.__file__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(tmp_path / "site")}, timeout=60)
    assert out.returncode == 0 and str(tmp_path / "site") in out.stdout, out.stderr


def test_filter_templates(both):
    """Milvus Lite's parser has no templates (Milvus's server has them): quiver's templated
    filter must select what Lite selects with the values written in."""
    rng = random.Random(31)
    lite, ours = both
    fresh(both, "diff_tmpl", dimension=DIM)
    data = rows_for(rng, 120)
    for c in both:
        c.insert("diff_tmpl", data)
    template = 'n > {lo} and color in {colors} and meta["b"]["c"] == {c}'
    fp = {"lo": 30, "colors": ["red", "blue"], "c": "x"}
    literal = 'n > 30 and color in ["red", "blue"] and meta["b"]["c"] == "x"'
    q = [[rng.uniform(-1, 1) for _ in range(DIM)]]
    args = dict(limit=10, output_fields=["n"])
    assert_same_hits(lite.search("diff_tmpl", q, filter=literal, **args),
                     ours.search("diff_tmpl", q, filter=template, filter_params=fp,
                                 search_params={"params": {"ef": 400}}, **args), "template search")
    assert by_id(ours.query("diff_tmpl", filter=template, filter_params=fp, output_fields=["n"])) == \
        by_id(lite.query("diff_tmpl", filter=literal, output_fields=["n"]))
    lite.delete("diff_tmpl", filter="n < 100")
    ours.delete("diff_tmpl", filter="n < {cut}", filter_params={"cut": 100})
    assert ours.query("diff_tmpl", filter="n >= 0", output_fields=["count(*)"]) == \
        lite.query("diff_tmpl", filter="n >= 0", output_fields=["count(*)"]) == [{"count(*)": 20}]


def test_exists_and_ids(both):
    lite, ours = both
    fresh(both, "diff_exists", dimension=3)
    rows = [{"id": i, "vector": [i, 1, 0], "meta": ({"a": i} if i % 2 else {"b": None}),
             **({"k": i} if i % 3 == 0 else {})} for i in range(12)]
    for c in both:
        c.insert("diff_exists", rows)
    for f in ('exists meta["a"]', "exists k", 'not exists meta["b"]', 'EXISTS meta["b"]', 'exists k and exists meta["a"]'):
        assert by_id(ours.query("diff_exists", filter=f, output_fields=["id"])) == \
            by_id(lite.query("diff_exists", filter=f, output_fields=["id"])), f
    assert by_id(ours.query("diff_exists", ids=[1, 5, 99], output_fields=["k", "meta"])) == \
        by_id(lite.query("diff_exists", ids=[1, 5, 99], output_fields=["k", "meta"]))
    from pymilvus.exceptions import ParamError

    for c in both:
        with pytest.raises(ParamError):
            c.query("diff_exists", ids=[1], filter="id > 0")


def drain(iterator):
    pages = []
    while True:
        page = iterator.next()
        if not page:
            iterator.close()
            return pages
        pages.append(list(page))


def test_query_iterator_pages(both):
    """query_iterator: the same pages as Milvus Lite's (key order), with a filter, a limit that
    ends mid-page, and rows inserted mid-iteration beyond the cursor showing up once."""
    rng = random.Random(17)
    lite, ours = both
    fresh(both, "diff_qiter", dimension=DIM)
    data = rows_for(rng, ROWS)
    for c in both:
        c.insert("diff_qiter", data)
    for kwargs in (dict(batch_size=64), dict(batch_size=50, filter='color in ["red", "blue"]'),
                   dict(batch_size=40, limit=130, filter="n >= 20", output_fields=["n", "color"])):
        theirs = drain(lite.query_iterator("diff_qiter", **kwargs))
        mine = drain(ours.query_iterator("diff_qiter", **kwargs))
        assert [len(p) for p in mine] == [len(p) for p in theirs], kwargs
        for tp, mp in zip(theirs, mine):
            assert [r["id"] for r in mp] == [r["id"] for r in tp], kwargs
            if "output_fields" in kwargs:
                assert [normal(dict(r)) for r in mp] == [normal(dict(r)) for r in tp], kwargs
    # keyset: rows added after the cursor come once, rows before it never come back
    it = ours.query_iterator("diff_qiter", batch_size=100, filter="n >= 0")
    first = it.next()
    ours.insert("diff_qiter", [{"id": 10_000, "vector": [0.0] * DIM, "n": 1}])
    rest = [r["id"] for p in drain(it) for r in p]
    ids = [r["id"] for r in first] + rest
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and ids[-1] == 10_000
    assert len(ids) == ROWS + 1
    from pymilvus.exceptions import ParamError

    # consistency_level: every level Milvus names, as a name or pymilvus's number; others are errors
    q = [rng.uniform(-1, 1) for _ in range(DIM)]
    for level in ("Strong", "Bounded", "Eventually", 2):
        assert [h.id for h in ours.search("diff_qiter", [q], limit=3, consistency_level=level,
                                          search_params={"params": {"ef": 400}})[0]] == \
            [h.id for h in lite.search("diff_qiter", [q], limit=3, consistency_level=level)[0]], level
        assert ours.query("diff_qiter", filter="n < 5", output_fields=["count(*)"], consistency_level=level) == \
            [{"count(*)": 6}]
        assert len(ours.get("diff_qiter", [1, 2], consistency_level=level)) == 2
    with pytest.raises(ParamError, match="consistency_level"):
        ours.query("diff_qiter", filter="n < 5", consistency_level="Strongest")
    with pytest.raises(ParamError):
        ours.query_iterator("diff_qiter", batch_size=0)
    with pytest.raises(ParamError):
        ours.query_iterator("diff_qiter", limit=-5)


def test_search_iterator_walks_every_row_outwards(dsn):
    """search_iterator: batches continue where the last one ended (distances never go back),
    every row comes exactly once, a limit ends it; checked against distances computed here."""
    rng = random.Random(23)
    ours = quiver_milvus.MilvusClient(dsn)
    # Milvus's L2 is the squared distance
    for metric, dist, closer_first in (("L2", lambda a, b: math.dist(a, b) ** 2, True),
                                       ("IP", lambda a, b: sum(x * y for x, y in zip(a, b)), False)):
        name = f"qiter_search_{metric.lower()}"
        ours.drop_collection(name)
        ours.create_collection(name, dimension=DIM, metric_type=metric)
        data = rows_for(rng, 200)
        # ties across a page boundary: ten copies of one vector
        for r in data[100:110]:
            r["vector"] = list(data[99]["vector"])
        ours.insert(name, data)
        q = [rng.uniform(-1, 1) for _ in range(DIM)]
        pages = drain(ours.search_iterator(name, [q], batch_size=7, output_fields=["n"]))
        hits = [h for p in pages for h in p]
        assert all(len(p) == 7 for p in pages[:-1])
        assert sorted(h.id for h in hits) == list(range(200)), metric
        exact = {r["id"]: dist(q, r["vector"]) for r in data}
        ds = [h.distance for h in hits]
        assert ds == sorted(ds, reverse=not closer_first), metric
        for h in hits:
            assert same_number(h.distance, exact[h.id]), (metric, h.id)
            assert h["n"] == h.id
        limited = [h.id for p in drain(ours.search_iterator(name, q, batch_size=16, limit=40)) for h in p]
        assert len(limited) == 40 and len(set(limited)) == 40
        filtered = [h for p in drain(ours.search_iterator(name, q, batch_size=9, filter="n < 50")) for h in p]
        assert sorted(h.id for h in filtered) == list(range(50))
        ours.drop_collection(name)
    ours.close()


def test_collection_properties_and_ttl(dsn):
    """alter / drop_collection_properties as pymilvus calls them; rows past the TTL are not read
    by search, query, get or iterators, and compact() deletes them."""
    import psycopg

    ours = quiver_milvus.MilvusClient(dsn)
    ours.drop_collection("props_ttl")
    ours.create_collection("props_ttl", dimension=2, metric_type="L2", properties={"mmap.enabled": True})
    assert ours.describe_collection("props_ttl")["properties"] == {"mmap.enabled": "true"}
    ours.insert("props_ttl", [{"id": i, "vector": [i, 0]} for i in range(20)])
    ours.alter_collection_properties("props_ttl", {"collection.ttl.seconds": 600})
    assert ours.describe_collection("props_ttl")["properties"] == {"mmap.enabled": "true", "collection.ttl.seconds": "600"}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""UPDATE props_ttl SET "$inserted_at" = now() - interval '11 minutes' WHERE id < 5""")
    assert [h.id for h in ours.search("props_ttl", [[0, 0]], limit=3)[0]] == [5, 6, 7]
    assert ours.query("props_ttl", filter="id >= 0", output_fields=["count(*)"]) == [{"count(*)": 15}]
    assert [r["id"] for r in ours.get("props_ttl", [0, 1, 5])] == [5]
    assert [r["id"] for p in drain(ours.query_iterator("props_ttl", batch_size=4)) for r in p] == list(range(5, 20))
    assert ours.get_collection_stats("props_ttl")["row_count"] == 20      # plain rows, until compacted
    ours.compact("props_ttl")
    assert ours.get_collection_stats("props_ttl")["row_count"] == 15
    ours.drop_collection_properties("props_ttl", property_keys=["collection.ttl.seconds"])
    assert ours.describe_collection("props_ttl")["properties"] == {"mmap.enabled": "true"}
    with pytest.raises(quiver_milvus.ParamError, match="ttl"):
        ours.alter_collection_properties("props_ttl", {"collection.ttl.seconds": -1})
    ours.drop_collection("props_ttl")
    ours.close()
