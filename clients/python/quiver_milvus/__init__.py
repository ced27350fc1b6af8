"""MilvusClient over quiver's SQL functions: `from quiver_milvus import MilvusClient` in place of
`from pymilvus import MilvusClient`, and a PostgreSQL URI in place of Milvus's."""
from .client import MilvusClient
from .exceptions import MilvusException, ParamError, PrimaryKeyException, DataTypeNotMatchException
from .ranker import AnnSearchRequest, RRFRanker, WeightedRanker
from .schema import CollectionSchema, DataType, FieldSchema, IndexParams

__all__ = [
    "MilvusClient", "MilvusException", "ParamError", "PrimaryKeyException", "DataTypeNotMatchException",
    "AnnSearchRequest", "RRFRanker", "WeightedRanker", "CollectionSchema", "DataType", "FieldSchema",
    "IndexParams",
]
