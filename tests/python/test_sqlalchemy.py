"""A SQLAlchemy ORM model using pgvector.sqlalchemy types, unchanged, against quiver."""
import numpy as np
from pgvector.sqlalchemy import HALFVEC, SPARSEVEC, Vector
from pgvector import HalfVector, SparseVector
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import URL, Index, Integer, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "orm_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    embedding = mapped_column(Vector(3))
    half = mapped_column(HALFVEC(3))
    sparse = mapped_column(SPARSEVEC(3))


def make_engine(dsn):
    p = conninfo_to_dict(dsn)
    return create_engine(
        URL.create("postgresql+psycopg", username=p.get("user"), host=p.get("host"),
                   port=int(p["port"]) if p.get("port") else None, database=p.get("dbname"))
    )


def test_orm_distance_ordering(dsn):
    engine = make_engine(dsn)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rows = [[1, 1, 1], [2, 2, 2], [1, 1, 2], [-1, 0, 5], [10, 0, 0]]
    with Session(engine) as session:
        session.add_all(
            Item(id=i, embedding=r, half=r, sparse=SparseVector(r)) for i, r in enumerate(rows, start=1)
        )
        session.commit()

        q = [1, 1, 1]
        data = np.array(rows, dtype=np.float64)
        qa = np.array(q, dtype=np.float64)
        l2 = np.linalg.norm(data - qa, axis=1)
        cos = 1 - data @ qa / (np.linalg.norm(data, axis=1) * np.linalg.norm(qa))

        got = session.scalars(select(Item.id).order_by(Item.embedding.l2_distance(q), Item.id)).all()
        assert got == [int(i) + 1 for i in np.lexsort((np.arange(5), l2))]
        got = session.scalars(select(Item.id).order_by(Item.embedding.cosine_distance(q), Item.id).limit(3)).all()
        assert got == [int(i) + 1 for i in np.lexsort((np.arange(5), np.round(cos, 12)))][:3]
        got = session.scalars(select(Item.id).order_by(Item.half.l2_distance(q), Item.id)).all()
        assert got == [int(i) + 1 for i in np.lexsort((np.arange(5), l2))]
        got = session.scalars(select(Item.id).order_by(Item.sparse.max_inner_product(SparseVector(q)), Item.id).limit(1)).all()
        assert got == [5]

        item = session.get(Item, 4)
        assert np.array_equal(item.embedding, np.array([-1, 0, 5], dtype=np.float32))
        dist = session.scalar(select(Item.embedding.l2_distance([1, 1, 1])).where(Item.id == 2))
        assert abs(dist - np.sqrt(3)) < 1e-12
    engine.dispose()


# --- ivfflat / hnsw indexes declared the way pgvector-python's README shows -------------------

DIM = 8
ROWS = 400
LISTS = 8
K = 10


class IndexBase(DeclarativeBase):
    pass


class IndexedItem(IndexBase):
    __tablename__ = "orm_indexed_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    embedding = mapped_column(Vector(DIM))
    half = mapped_column(HALFVEC(DIM))


ivf_l2 = Index(
    "orm_indexed_items_ivf_l2",
    IndexedItem.embedding,
    postgresql_using="ivfflat",
    postgresql_with={"lists": LISTS},
    postgresql_ops={"embedding": "vector_l2_ops"},
)
ivf_cos = Index(
    "orm_indexed_items_ivf_cos",
    IndexedItem.embedding,
    postgresql_using="ivfflat",
    postgresql_with={"lists": LISTS},
    postgresql_ops={"embedding": "vector_cosine_ops"},
)
hnsw_l2 = Index(
    "orm_indexed_items_hnsw_l2",
    IndexedItem.half,
    postgresql_using="hnsw",
    postgresql_with={"m": 16, "ef_construction": 64},
    postgresql_ops={"half": "halfvec_l2_ops"},
)


def exact_top_k(dist):
    """Ids (1-based) of the K smallest distances; asserts the order is unambiguous: the first
    K+1 sorted distances are pairwise separated far beyond float32 rounding."""
    order = np.argsort(dist, kind="stable")
    head = dist[order[: K + 1]]
    assert np.min(np.diff(head)) > 1e-4 * max(1.0, float(head[-1])), "test data has near-ties"
    return [int(i) + 1 for i in order[:K]]


def explain(session, stmt):
    sql = str(stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    return "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))


def test_orm_ivfflat_and_hnsw_indexes(dsn):
    engine = make_engine(dsn)
    IndexBase.metadata.drop_all(engine)
    IndexBase.metadata.create_all(engine)
    try:
        rng = np.random.default_rng(20240611)
        # float16-representable values, so the halfvec column holds exactly what numpy sees
        data = rng.uniform(-1, 1, (ROWS, DIM)).astype(np.float16).astype(np.float32)
        queries = rng.uniform(-1, 1, (5, DIM)).astype(np.float16).astype(np.float32)
        with Session(engine) as session:
            session.add_all(
                IndexedItem(id=i + 1, embedding=row, half=HalfVector(row)) for i, row in enumerate(data)
            )
            session.commit()

            defs = dict(session.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orm_indexed_items'")).all())
            # vector_l2_ops is ivfflat's default class for vector, which pg_get_indexdef leaves out
            assert f"USING ivfflat (embedding) WITH (lists='{LISTS}')" in defs[ivf_l2.name]
            assert f"USING ivfflat (embedding vector_cosine_ops) WITH (lists='{LISTS}')" in defs[ivf_cos.name]
            assert "USING hnsw (half halfvec_l2_ops) WITH (m='16', ef_construction='64')" in defs[hnsw_l2.name]
            classes = dict(session.execute(text(
                "SELECT i.indexrelid::regclass::text, o.opcname FROM pg_index i"
                " JOIN pg_opclass o ON o.oid = i.indclass[0]"
                " WHERE i.indrelid = 'orm_indexed_items'::regclass AND NOT i.indisprimary")).all())
            assert classes == {ivf_l2.name: "vector_l2_ops", ivf_cos.name: "vector_cosine_ops",
                               hnsw_l2.name: "halfvec_l2_ops"}

            # probes == lists makes the ivfflat scans exhaustive, so they must return the exact top-k;
            # ef_search above the row count does the same for hnsw.
            session.execute(text(f"SET ivfflat.probes = {LISTS}"))
            session.execute(text("SET hnsw.ef_search = 1000"))
            session.execute(text("SET enable_seqscan = off"))
            assert session.scalar(text("SHOW ivfflat.probes")) == str(LISTS)

            d64 = data.astype(np.float64)

            def check_top_k():
                for q in queries:
                    q64 = q.astype(np.float64)
                    l2 = np.linalg.norm(d64 - q64, axis=1)
                    cos = 1 - (d64 @ q64) / (np.linalg.norm(d64, axis=1) * np.linalg.norm(q64))
                    cases = [
                        (ivf_l2, select(IndexedItem.id).order_by(IndexedItem.embedding.l2_distance(q)).limit(K), l2),
                        (ivf_cos, select(IndexedItem.id).order_by(IndexedItem.embedding.cosine_distance(q)).limit(K), cos),
                        (hnsw_l2, select(IndexedItem.id).order_by(IndexedItem.half.l2_distance(HalfVector(q))).limit(K), l2),
                    ]
                    for index, stmt, dist in cases:
                        plan = explain(session, stmt)
                        assert f"Index Scan using {index.name}" in plan, plan
                        assert session.scalars(stmt).all() == exact_top_k(dist), index.name

            # the indexes as create_all built them (on the empty table), rows added by inserts
            check_top_k()

            # rebuilt on the loaded table, as pgvector advises for ivfflat, so k-means trains on the rows
            session.execute(text("REINDEX TABLE orm_indexed_items"))
            session.commit()

            # the session's probes setting reaches the scan: one probe sees only one list's rows
            # (iterative scans are off), all probes see every row
            everything = select(IndexedItem.id).order_by(IndexedItem.embedding.l2_distance(queries[0])).limit(ROWS)
            assert f"Index Scan using {ivf_l2.name}" in explain(session, everything)
            assert len(session.scalars(everything).all()) == ROWS
            session.execute(text("SET ivfflat.probes = 1"))
            assert 0 < len(session.scalars(everything).all()) < ROWS
            session.execute(text(f"SET ivfflat.probes = {LISTS}"))

            check_top_k()

            # the distances themselves, through the index scan
            q = queries[0]
            stmt = (select(IndexedItem.id, IndexedItem.embedding.l2_distance(q))
                    .order_by(IndexedItem.embedding.l2_distance(q)).limit(K))
            assert f"Index Scan using {ivf_l2.name}" in explain(session, stmt)
            got = session.execute(stmt).all()
            want = np.linalg.norm(d64 - q.astype(np.float64), axis=1)
            assert [r[0] for r in got] == exact_top_k(want)
            assert np.allclose([r[1] for r in got], want[[r[0] - 1 for r in got]], rtol=1e-5, atol=1e-6)
    finally:
        IndexBase.metadata.drop_all(engine)
        engine.dispose()
