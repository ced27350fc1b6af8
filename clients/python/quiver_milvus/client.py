"""MilvusClient: pymilvus's MilvusClient calls, signatures and return shapes, carried out by
quiver's SQL functions (the `quiver` schema) over one psycopg connection in autocommit mode (each
call is one transaction, as each Milvus request is)."""
import json

import psycopg

from . import exceptions, iterators
from .schema import CollectionSchema, DataType, IndexParams, data_type


def _plain(value):
    """JSON for one value of a row or a query vector: numpy arrays and scalars as Python values,
    binary vectors (bytes) as lists of bits, sparse vectors with string keys."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (bytes, bytearray)):
        return [(b >> (7 - i)) & 1 for b in value for i in range(8)]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _json(value):
    return json.dumps(_plain(value))


def _filter_params(kwargs):
    """Milvus's filter template values (`filter_params`), as JSON for quiver."""
    values = kwargs.get("filter_params")
    return None if values is None else _json(values)


_LEVELS = ("Strong", "Session", "Bounded", "Eventually", "Customized")


def _consistency(kwargs):
    """pymilvus's consistency_level (a name, or its number) for quiver, which checks the name."""
    level = kwargs.get("consistency_level")
    if isinstance(level, int) and not isinstance(level, bool) and 0 <= level < len(_LEVELS):
        return _LEVELS[level]
    return None if level is None else str(level)


def _names(values):
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def _fields(output_fields):
    """Output fields as Milvus reads them: none given means every field."""
    return _names(output_fields) or ["*"]


def _conninfo(uri, user, password, db_name):
    """A libpq connection string from a PostgreSQL URI (postgresql://...) or key=value string;
    user, password and db_name, when given, override the URI's."""
    if not uri or uri.startswith(("http://", "https://", "tcp://")) or uri.endswith(".db"):
        raise exceptions.ParamError(message=f"quiver connects to PostgreSQL: pass a postgresql:// URI, not {uri!r}")
    extra = {k: v for k, v in (("user", user), ("password", password), ("dbname", db_name)) if v}
    return psycopg.conninfo.make_conninfo(uri, **extra)


class Hit(dict):
    """One search hit as pymilvus returns it: keyed by the primary key's field name, then
    "distance" and "entity"; `hit.id`, `hit.distance`, `hit.entity`, and `hit[field]` reading
    into the entity."""

    def __init__(self, pk_name, pk, distance, entity):
        super().__init__({pk_name: pk, "distance": distance, "entity": entity})
        self._pk_name = pk_name

    @property
    def id(self):
        return self[self._pk_name]

    @property
    def pk(self):
        return self.id

    @property
    def distance(self):
        return dict.__getitem__(self, "distance")

    @property
    def score(self):
        return self.distance

    @property
    def entity(self):
        return dict.__getitem__(self, "entity")

    @property
    def fields(self):
        return self.entity

    def __getitem__(self, key):
        try:
            return super().__getitem__(key)
        except KeyError:
            return super().__getitem__("entity")[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self):
        return self


class MilvusClient:
    def __init__(self, uri="postgresql:///postgres", user="", password="", db_name="", token="", timeout=None, **kwargs):
        if token and not password and ":" in token:
            user, password = token.split(":", 1)
        try:
            self._conn = psycopg.connect(_conninfo(uri, user, password, db_name), autocommit=True)
        except psycopg.Error as e:
            raise exceptions.MilvusException(code=2, message=f"could not connect to {uri}: {e}") from None
        self._pk_types = {}

    # ---------------------------------------------------------------------------------------
    # plumbing

    def _execute(self, sql, params=()):
        try:
            return self._conn.execute(sql, params)
        except psycopg.Error as e:
            raise exceptions.from_postgres(e) from None

    def _rows(self, sql, params=()):
        return self._execute(sql, params).fetchall()

    def _one(self, sql, params=()):
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    def _pk(self, collection):
        """The primary key's name and DataType (search results carry ids as text), remembered
        per collection name until this client drops, renames or re-creates it."""
        if collection not in self._pk_types:
            desc = self._one("SELECT quiver.describe_collection(%s)", (collection,))
            pk = next(f for f in desc["fields"] if f.get("is_primary"))
            self._pk_types[collection] = (pk["name"], data_type(pk["type"]))
        return self._pk_types[collection]

    def _typed_id(self, collection, value):
        if value is None or self._pk(collection)[1] != DataType.INT64:
            return value
        return int(value)

    def close(self):
        self._conn.close()

    # ---------------------------------------------------------------------------------------
    # collections

    @staticmethod
    def create_schema(**kwargs):
        return CollectionSchema(**kwargs)

    @staticmethod
    def prepare_index_params(field_name="", **kwargs):
        params = IndexParams()
        if field_name:
            params.add_index(field_name, **kwargs)
        return params

    def create_collection(self, collection_name, dimension=None, primary_field_name="id", id_type="int",
                          vector_field_name="vector", metric_type="COSINE", auto_id=False, timeout=None,
                          schema=None, index_params=None, **kwargs):
        self._pk_types.pop(collection_name, None)
        index = json.dumps(list(index_params)) if index_params is not None else None
        if schema is None:
            # pymilvus's quick form: a primary key, a vector field, dynamic fields, an index
            if dimension is None:
                raise exceptions.ParamError(message="create_collection needs a dimension or a schema")
            schema = CollectionSchema(auto_id=auto_id, enable_dynamic_field=kwargs.get("enable_dynamic_field", True))
            if str(id_type).lower() in ("str", "string", "varchar"):
                schema.add_field(primary_field_name, DataType.VARCHAR, is_primary=True,
                                 max_length=kwargs.get("max_length", 65535))
            else:
                schema.add_field(primary_field_name, DataType.INT64, is_primary=True)
            schema.add_field(vector_field_name, DataType.FLOAT_VECTOR, dim=dimension)
            if index_params is None:
                index_params = IndexParams()
                index_params.add_index(vector_field_name, index_type="AUTOINDEX", metric_type=metric_type)
                index = json.dumps(list(index_params))
        doc = schema.to_quiver() if hasattr(schema, "to_quiver") else schema
        metric = None
        if index_params:
            metric = next((i.get("metric_type") for i in index_params if i.get("metric_type")), None)
        self._rows(
            "SELECT quiver.create_collection(%s, schema => %s::jsonb, index => %s::jsonb,"
            " num_partitions => COALESCE(%s, 16), metric_type => COALESCE(%s, 'cosine'), description => %s,"
            " consistency_level => %s, properties => %s::jsonb)",
            (collection_name, json.dumps(doc), index, kwargs.get("num_partitions"), metric,
             getattr(schema, "description", None) or None, _consistency(kwargs),
             _json(kwargs["properties"]) if kwargs.get("properties") else None))

    def describe_collection(self, collection_name, timeout=None, **kwargs):
        d = self._one("SELECT quiver.describe_collection(%s)", (collection_name,))
        fields = []
        for i, f in enumerate(d["fields"]):
            field = {"field_id": 100 + i, "name": f["name"], "description": f.get("description", ""),
                     "type": data_type(f["type"]), "params": dict(f.get("params") or {})}
            for key in ("is_primary", "auto_id", "is_partition_key", "nullable"):
                if f.get(key):
                    field[key] = True
            if f.get("element_type"):
                field["element_type"] = data_type(f["element_type"])
            if "default_value" in f:
                field["default_value"] = f["default_value"]
            fields.append(field)
        return {
            "collection_name": d["collection_name"], "auto_id": bool(d.get("auto_id")), "num_shards": 1,
            "description": d.get("description") or "", "fields": fields, "functions": [],
            "aliases": d.get("aliases", []), "collection_id": 0, "consistency_level": 0,
            "consistency_level_name": "Strong", "properties": dict(d.get("properties") or {}),
            "num_partitions": d.get("num_partitions", 1),
            "enable_dynamic_field": bool(d.get("enable_dynamic_field")),
        }

    def list_collections(self, **kwargs):
        return [r[0] for r in self._rows("SELECT * FROM quiver.list_collections()")]

    def has_collection(self, collection_name, timeout=None, **kwargs):
        return bool(self._one("SELECT quiver.has_collection(%s)", (collection_name,)))

    def drop_collection(self, collection_name, timeout=None, **kwargs):
        self._pk_types.pop(collection_name, None)
        if self.has_collection(collection_name):  # Milvus: dropping a missing collection succeeds
            self._rows("SELECT quiver.drop_collection(%s)", (collection_name,))

    def rename_collection(self, old_name, new_name, target_db="", timeout=None, **kwargs):
        self._pk_types.pop(old_name, None)
        self._rows("SELECT quiver.rename_collection(%s, %s)", (old_name, new_name))

    def alter_collection_properties(self, collection_name, properties, timeout=None, **kwargs):
        self._rows("SELECT quiver.alter_collection_properties(%s, %s::jsonb)", (collection_name, _json(properties)))

    def drop_collection_properties(self, collection_name, property_keys, timeout=None, **kwargs):
        self._rows("SELECT quiver.drop_collection_properties(%s, %s)", (collection_name, list(property_keys)))

    def get_collection_stats(self, collection_name, timeout=None, **kwargs):
        stats = self._one("SELECT quiver.get_collection_stats(%s)", (collection_name,))
        return {"row_count": stats["row_count"]}

    # Loading is a Milvus concept (segments into query nodes); PostgreSQL reads from shared buffers
    # and the disk, so a collection is always "loaded".
    def load_collection(self, collection_name, timeout=None, **kwargs):
        self.describe_collection(collection_name)

    def release_collection(self, collection_name, timeout=None, **kwargs):
        self.describe_collection(collection_name)

    def refresh_load(self, collection_name, timeout=None, **kwargs):
        self.describe_collection(collection_name)

    def get_load_state(self, collection_name, partition_name="", timeout=None, **kwargs):
        self.describe_collection(collection_name)
        return {"state": "Loaded"}

    def flush(self, collection_name, timeout=None, **kwargs):
        """Writes are durable at commit (the WAL): nothing to flush."""
        self.describe_collection(collection_name)

    def compact(self, collection_name, is_clustering=False, timeout=None, **kwargs):
        """Deletes the rows past the collection's TTL, then VACUUM (ANALYZE) of its table:
        reclaims deleted rows in the table and its indexes. Returns 0, the id of a job that has
        already finished."""
        self._one("SELECT quiver.purge_expired(%s)", (collection_name,))
        table = self._one("SELECT quiver.describe_collection(%s)->>'table'", (collection_name,))
        self._execute(f"VACUUM (ANALYZE) {table}")
        return 0

    def get_compaction_state(self, job_id, timeout=None, **kwargs):
        return "Completed"

    # ---------------------------------------------------------------------------------------
    # partitions and aliases

    def create_partition(self, collection_name, partition_name, timeout=None, **kwargs):
        self._rows("SELECT quiver.create_partition(%s, %s)", (collection_name, partition_name))

    def drop_partition(self, collection_name, partition_name, timeout=None, **kwargs):
        self._rows("SELECT quiver.drop_partition(%s, %s)", (collection_name, partition_name))

    def has_partition(self, collection_name, partition_name, timeout=None, **kwargs):
        return bool(self._one("SELECT quiver.has_partition(%s, %s)", (collection_name, partition_name)))

    def list_partitions(self, collection_name, timeout=None, **kwargs):
        return [r[0] for r in self._rows("SELECT * FROM quiver.list_partitions(%s)", (collection_name,))]

    def load_partitions(self, collection_name, partition_names, timeout=None, **kwargs):
        self.describe_collection(collection_name)

    def release_partitions(self, collection_name, partition_names, timeout=None, **kwargs):
        self.describe_collection(collection_name)

    def create_alias(self, collection_name, alias, timeout=None, **kwargs):
        self._rows("SELECT quiver.create_alias(%s, %s)", (collection_name, alias))

    def alter_alias(self, collection_name, alias, timeout=None, **kwargs):
        self._pk_types.pop(alias, None)
        self._rows("SELECT quiver.alter_alias(%s, %s)", (collection_name, alias))

    def drop_alias(self, alias, timeout=None, **kwargs):
        self._pk_types.pop(alias, None)
        self._rows("SELECT quiver.drop_alias(%s)", (alias,))

    def list_aliases(self, collection_name="", timeout=None, **kwargs):
        aliases = [r[0] for r in self._rows("SELECT * FROM quiver.list_aliases(%s)", (collection_name,))]
        return {"aliases": aliases, "collection_name": collection_name, "db_name": "default"}

    # ---------------------------------------------------------------------------------------
    # indexes

    def create_index(self, collection_name, index_params, timeout=None, **kwargs):
        for entry in index_params:
            self._rows("SELECT quiver.create_index(%s, %s, %s, %s, %s::jsonb, %s)",
                       (collection_name, entry["field_name"], entry.get("index_type") or None,
                        entry.get("metric_type"), json.dumps(entry["params"]) if entry.get("params") else None,
                        entry.get("index_name") or None))

    def list_indexes(self, collection_name, field_name="", **kwargs):
        names = [r[0] for r in self._rows("SELECT * FROM quiver.list_indexes(%s)", (collection_name,))]
        if field_name:
            names = [n for n in names if self.describe_index(collection_name, n)["field_name"] == field_name]
        return names

    def describe_index(self, collection_name, index_name, timeout=None, **kwargs):
        d = self._one("SELECT quiver.describe_index(%s, %s)", (collection_name, index_name))
        out = dict(d.get("params") or {})
        out.update({k: d[k] for k in ("index_type", "field_name", "index_name", "total_rows", "indexed_rows",
                                      "pending_index_rows", "state")})
        if d.get("metric_type"):
            out["metric_type"] = d["metric_type"].upper()
        return out

    def drop_index(self, collection_name, index_name, timeout=None, **kwargs):
        self._rows("SELECT quiver.drop_index(%s, %s)", (collection_name, index_name))

    # ---------------------------------------------------------------------------------------
    # data

    def insert(self, collection_name, data, timeout=None, partition_name="", **kwargs):
        rows = [data] if isinstance(data, dict) else list(data)
        if not rows:
            return {"insert_count": 0, "ids": []}
        return self._one("SELECT quiver.insert(%s, %s::jsonb, %s)", (collection_name, _json(rows), partition_name or None))

    def upsert(self, collection_name, data, timeout=None, partition_name="", **kwargs):
        rows = [data] if isinstance(data, dict) else list(data)
        if not rows:
            return {"upsert_count": 0}
        out = self._one("SELECT quiver.upsert(%s, %s::jsonb, %s)", (collection_name, _json(rows), partition_name or None))
        return {"upsert_count": out["upsert_count"], "ids": out["ids"]}

    def delete(self, collection_name, ids=None, timeout=None, filter=None, partition_name=None, **kwargs):
        if ids is not None and filter:
            raise exceptions.ParamError(message="Ambiguous parameter, either ids or filter should be specified, cannot support both.")
        if ids is not None and not isinstance(ids, (list, tuple)):
            ids = [ids]
        out = self._one("SELECT quiver.delete(%s, filter => %s, ids => %s::jsonb, partition_name => %s,"
                        " filter_params => %s::jsonb)",
                        (collection_name, filter or None, _json(ids) if ids is not None else None, partition_name or None,
                         _filter_params(kwargs)))
        return {"delete_count": out["delete_count"]}

    def get(self, collection_name, ids, output_fields=None, timeout=None, partition_names=None, **kwargs):
        return self.query(collection_name, output_fields=output_fields, ids=ids, partition_names=partition_names,
                          consistency_level=kwargs.get("consistency_level"))

    def query(self, collection_name, filter="", output_fields=None, timeout=None, ids=None, partition_names=None,
              **kwargs):
        fields = _fields(output_fields)
        if [f.replace(" ", "").lower() for f in fields] == ["count(*)"]:
            n = self._one("SELECT quiver.count(%s, %s, %s, %s::jsonb, %s)",
                          (collection_name, filter or None, _names(partition_names), _filter_params(kwargs),
                           _consistency(kwargs)))
            return [{"count(*)": n}]
        if ids is not None and filter:
            raise exceptions.ParamError(message="Ambiguous parameter, either ids or filter should be specified, cannot support both.")
        if ids is not None and not isinstance(ids, (list, tuple)):
            ids = [ids]
        if not filter and ids is None and kwargs.get("limit") is None:
            raise exceptions.ParamError(message="empty expression should be used with limit")
        return [r[0] for r in self._rows(
            'SELECT * FROM quiver.query(%s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)',
            (collection_name, filter or None, fields, kwargs.get("limit"), kwargs.get("offset") or 0,
             _names(partition_names), _filter_params(kwargs), _json(ids) if ids is not None else None,
             _consistency(kwargs)))]

    def query_iterator(self, collection_name, batch_size=1000, limit=iterators.UNLIMITED, filter="",
                       output_fields=None, search_params=None, timeout=None, partition_names=None, **kwargs):
        return iterators.QueryIterator(self, collection_name, batch_size, limit, filter, output_fields,
                                       partition_names, kwargs.get("filter_params"))

    # ---------------------------------------------------------------------------------------
    # search

    @staticmethod
    def _search_params(search_params, kwargs):
        sp = dict(search_params or {})
        params = dict(sp.get("params") or {})
        for key in ("metric_type", "radius", "range_filter"):
            if key in sp:
                params[key] = sp[key]
        for key in ("group_by_field", "group_size", "strict_group_size"):
            if kwargs.get(key) is not None:
                params[key] = kwargs[key]
        return params, sp.get("offset", kwargs.get("offset", 0)) or 0

    def _hits(self, collection_name, rows, output_fields, pk_name=None):
        wanted = set(_names(output_fields) or [])
        hits = []
        for query_index, pid, distance, entity in rows:
            while len(hits) <= query_index:
                hits.append([])
            entity = dict(entity or {})
            if pk_name and pk_name not in wanted:
                entity.pop(pk_name, None)
            hits[query_index].append(Hit(pk_name, self._typed_id(collection_name, pid), distance, entity))
        return hits

    def _pk_name(self, collection_name):
        return self._pk(collection_name)[0]

    def search(self, collection_name, data=None, filter="", limit=10, output_fields=None, search_params=None,
               timeout=None, partition_names=None, anns_field=None, **kwargs):
        if data is None:
            raise exceptions.ParamError(message="search needs data")
        queries = data if isinstance(data, list) and data and isinstance(data[0], (list, tuple, dict, bytes)) \
            or hasattr(data, "ndim") and data.ndim == 2 else [data]
        params, offset = self._search_params(search_params, kwargs)
        rows = self._rows(
            'SELECT query_index, id, distance, entity FROM quiver.search(%s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s::jsonb,'
            ' %s::jsonb, %s)',
            (collection_name, _json(list(queries)), anns_field, limit, offset, filter or None,
             _fields(output_fields), _names(partition_names), json.dumps(params) if params else None,
             _filter_params(kwargs), _consistency(kwargs)))
        hits = self._hits(collection_name, rows, output_fields, self._pk_name(collection_name))
        while len(hits) < len(queries):
            hits.append([])
        return hits

    def search_iterator(self, collection_name, data, batch_size=1000, filter=None, limit=iterators.UNLIMITED,
                        output_fields=None, search_params=None, timeout=None, partition_names=None,
                        anns_field=None, round_decimal=-1, **kwargs):
        return iterators.SearchIterator(self, collection_name, data, batch_size, limit, filter, output_fields,
                                        search_params, partition_names, anns_field, kwargs)

    def hybrid_search(self, collection_name, reqs, ranker, limit=10, output_fields=None, timeout=None,
                      partition_names=None, **kwargs):
        requests = [r.to_quiver(_plain) for r in reqs]
        rows = self._rows('SELECT 0, id, score, entity FROM quiver.hybrid_search(%s, %s::jsonb, %s, %s::jsonb, %s, %s, %s)',
                          (collection_name, json.dumps(requests), ranker.name, json.dumps(ranker.params), limit,
                           _fields(output_fields), _consistency(kwargs)))
        hits = self._hits(collection_name, rows, output_fields, self._pk_name(collection_name))
        return hits or [[]]
