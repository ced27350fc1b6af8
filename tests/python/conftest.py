import os

import psycopg
import pytest


@pytest.fixture(scope="session")
def dsn():
    value = os.environ.get("QUIVER_DSN")
    if not value:
        pytest.fail("QUIVER_DSN is not set: run these tests through `make test`")
    with psycopg.connect(value, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS quiver")
    return value


@pytest.fixture
def conn(dsn):
    from pgvector.psycopg import register_vector

    with psycopg.connect(dsn, autocommit=True) as c:
        register_vector(c)
        yield c
