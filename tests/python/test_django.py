"""A Django model using pgvector.django fields, indexes and distance functions, unchanged, against
quiver. Django is configured in-process from the `dsn` fixture; the table and its ivfflat / hnsw
indexes are made with the schema editor (no migration files)."""
import numpy as np
import pytest
from psycopg.conninfo import conninfo_to_dict

DIM = 3
ROWS = 300
LISTS = 6
K = 5

TABLE = "quiver_dj_items"
IVF_L2 = "dj_items_emb_ivf_l2"
HNSW_COS = "dj_items_emb_hnsw_cos"
IVF_HALF = "dj_items_half_ivf_l2"

_model = None


def item_model():
    """The model class, defined once per process (Django's app registry keeps it)."""
    global _model
    if _model is None:
        from django.db import models
        from pgvector.django import HalfVectorField, HnswIndex, IvfflatIndex, VectorField

        class Item(models.Model):
            embedding = VectorField(dimensions=DIM)
            half = HalfVectorField(dimensions=DIM)

            class Meta:
                app_label = "quiver_django_test"
                db_table = TABLE
                indexes = [
                    IvfflatIndex(name=IVF_L2, fields=["embedding"], lists=LISTS, opclasses=["vector_l2_ops"]),
                    HnswIndex(name=HNSW_COS, fields=["embedding"], m=16, ef_construction=64,
                              opclasses=["vector_cosine_ops"]),
                    IvfflatIndex(name=IVF_HALF, fields=["half"], lists=LISTS, opclasses=["halfvec_l2_ops"]),
                ]

        _model = Item
    return _model


@pytest.fixture(scope="module")
def django_db(dsn):
    import django
    from django.conf import settings

    if not settings.configured:
        p = conninfo_to_dict(dsn)
        settings.configure(
            DATABASES={"default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": p.get("dbname", ""),
                "USER": p.get("user", ""),
                "PASSWORD": p.get("password", ""),
                "HOST": p.get("host", ""),
                "PORT": p.get("port", ""),
            }},
            INSTALLED_APPS=[],
            USE_TZ=True,
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        )
        django.setup()
    from django.db import connection

    assert connection.settings_dict["NAME"] == conninfo_to_dict(dsn).get("dbname")
    yield connection
    connection.close()


@pytest.fixture
def items(django_db):
    """The model's table with its indexes, created by the schema editor and dropped afterwards."""
    Item = item_model()
    with django_db.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
    with django_db.schema_editor() as editor:
        editor.create_model(Item)
    try:
        yield Item
    finally:
        with django_db.schema_editor() as editor:
            editor.delete_model(Item)
        with django_db.cursor() as cur:
            cur.execute("RESET ALL")


def exact_top_k(dist):
    """Ids (1-based) of the K smallest distances; asserts the order is unambiguous: the first
    K+1 sorted distances are pairwise separated far beyond float32 rounding."""
    order = np.argsort(dist, kind="stable")
    head = dist[order[: K + 1]]
    assert np.min(np.diff(head)) > 1e-4 * max(1.0, float(head[-1])), "test data has near-ties"
    return [int(i) + 1 for i in order[:K]]


def test_django_ivfflat_and_hnsw_indexes(django_db, items):
    from pgvector import HalfVector
    from pgvector.django import CosineDistance, L2Distance

    Item = items
    rng = np.random.default_rng(5150)
    # float16-representable values, so the halfvec column holds exactly what numpy sees
    data = rng.uniform(-1, 1, (ROWS, DIM)).astype(np.float16).astype(np.float32)
    queries = rng.uniform(-1, 1, (4, DIM)).astype(np.float16).astype(np.float32)
    Item.objects.bulk_create(
        Item(id=i + 1, embedding=row, half=HalfVector(row)) for i, row in enumerate(data)
    )
    assert Item.objects.count() == ROWS

    with django_db.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [TABLE])
        defs = dict(cur.fetchall())
        cur.execute(
            "SELECT i.indexrelid::regclass::text, o.opcname FROM pg_index i"
            " JOIN pg_opclass o ON o.oid = i.indclass[0]"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary", [TABLE])
        classes = dict(cur.fetchall())
    assert "USING ivfflat (embedding" in defs[IVF_L2] and f"WITH (lists='{LISTS}')" in defs[IVF_L2]
    assert "USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')" in defs[HNSW_COS]
    assert f"USING ivfflat (half halfvec_l2_ops) WITH (lists='{LISTS}')" in defs[IVF_HALF]
    assert classes == {IVF_L2: "vector_l2_ops", HNSW_COS: "vector_cosine_ops", IVF_HALF: "halfvec_l2_ops"}

    with django_db.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET ivfflat.probes = %s" % LISTS)  # exhaustive: the exact top-k is required
        cur.execute("SET hnsw.ef_search = 1000")  # above the row count: exhaustive as well

    d64 = data.astype(np.float64)

    def check_top_k():
        for q in queries:
            q64 = q.astype(np.float64)
            l2 = np.linalg.norm(d64 - q64, axis=1)
            cos = 1 - (d64 @ q64) / (np.linalg.norm(d64, axis=1) * np.linalg.norm(q64))
            cases = [
                (IVF_L2, Item.objects.order_by(L2Distance("embedding", q)), l2),
                (HNSW_COS, Item.objects.order_by(CosineDistance("embedding", q)), cos),
                (IVF_HALF, Item.objects.order_by(L2Distance("half", HalfVector(q))), l2),
            ]
            for index, qs, dist in cases:
                qs = qs[:K]
                plan = qs.explain()
                assert f"Index Scan using {index}" in plan, plan
                assert list(qs.values_list("id", flat=True)) == exact_top_k(dist), index

    # the indexes as create_model built them (on the empty table), rows added by inserts
    check_top_k()

    # ivfflat indexes rebuilt on the loaded table (what an AddIndex migration run after a data
    # load does), so that k-means trains on the rows
    ivf_indexes = [ix for ix in Item._meta.indexes if ix.name in (IVF_L2, IVF_HALF)]
    with django_db.schema_editor() as editor:
        for ix in ivf_indexes:
            editor.remove_index(Item, ix)
            editor.add_index(Item, ix)

    # ivfflat.probes set on Django's connection reaches the scan: one probe sees only one list's
    # rows (iterative scans are off), all probes see every row
    everything = Item.objects.order_by(L2Distance("embedding", queries[0]))[:ROWS]
    assert f"Index Scan using {IVF_L2}" in everything.explain()
    assert len(list(everything.values_list("id", flat=True))) == ROWS
    with django_db.cursor() as cur:
        cur.execute("SET ivfflat.probes = 1")
    assert 0 < len(list(everything.values_list("id", flat=True))) < ROWS
    with django_db.cursor() as cur:
        cur.execute("SET ivfflat.probes = %s" % LISTS)

    check_top_k()

    # distances annotated by the ORM, ordered by the annotation, through the index
    q = queries[1]
    q64 = q.astype(np.float64)
    for index, func, dist in [
        (IVF_L2, L2Distance, np.linalg.norm(d64 - q64, axis=1)),
        (HNSW_COS, CosineDistance, 1 - (d64 @ q64) / (np.linalg.norm(d64, axis=1) * np.linalg.norm(q64))),
    ]:
        qs = Item.objects.annotate(distance=func("embedding", q)).order_by("distance")[:K]
        assert f"Index Scan using {index}" in qs.explain()
        got = list(qs)
        assert [r.id for r in got] == exact_top_k(dist)
        assert np.allclose([r.distance for r in got], dist[[r.id - 1 for r in got]], rtol=1e-5, atol=1e-6)
        assert all(np.array_equal(r.embedding, data[r.id - 1]) for r in got)
        assert all(np.array_equal(r.half.to_numpy(), data[r.id - 1]) for r in got)
