"""A SQLAlchemy ORM model using pgvector.sqlalchemy types, unchanged, against quiver."""
import numpy as np
from pgvector.sqlalchemy import HALFVEC, SPARSEVEC, Vector
from pgvector import SparseVector
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import URL, Integer, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "orm_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    embedding = mapped_column(Vector(3))
    half = mapped_column(HALFVEC(3))
    sparse = mapped_column(SPARSEVEC(3))


def test_orm_distance_ordering(dsn):
    p = conninfo_to_dict(dsn)
    engine = create_engine(
        URL.create("postgresql+psycopg", username=p.get("user"), host=p.get("host"),
                   port=int(p["port"]) if p.get("port") else None, database=p.get("dbname"))
    )
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
