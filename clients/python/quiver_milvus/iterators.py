"""pymilvus's QueryIterator and SearchIterator: results beyond one page, read in batches.

Both are keyset cursors, so a page costs the same however far the iteration has gone and rows
inserted or deleted meanwhile neither repeat nor shift the rest:
- a query iterator walks the primary key upwards (quiver.query returns rows in key order) with
  `pk > <last key>` added to the filter;
- a search iterator walks the distance outwards: each batch is a range search whose inner bound
  is the last distance returned (made inclusive, as equal distances may continue in the next
  batch), with the ids already returned at that distance left out.
`next()` returns a list (of dicts, or of hits) and an empty list once the results are exhausted
or `limit` rows were returned; `close()` ends the iteration."""
import math

from . import exceptions

UNLIMITED = -1
# Metrics whose value is a similarity (larger is closer); the others are distances.
_SIMILARITIES = ("IP", "COSINE")
_AFTER = "__quiver_iterator_after"


def _check_sizes(batch_size, limit):
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or not 1 <= batch_size <= 16384:
        raise exceptions.ParamError(message=f"batch_size must be an integer between 1 and 16384, got {batch_size!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or (limit < 0 and limit != UNLIMITED):
        raise exceptions.ParamError(message=f"limit must be a non-negative integer or -1 (unlimited), got {limit!r}")


class _Batches:
    def __init__(self, batch_size, limit):
        _check_sizes(batch_size, limit)
        self._batch_size, self._limit = batch_size, limit
        self._returned, self._done = 0, False

    def _wanted(self):
        if self._done:
            return 0
        if self._limit == UNLIMITED:
            return self._batch_size
        return min(self._batch_size, self._limit - self._returned)

    def _deliver(self, rows, exhausted):
        self._returned += len(rows)
        if exhausted or (self._limit != UNLIMITED and self._returned >= self._limit):
            self._done = True
        return rows

    def close(self):
        self._done = True


class QueryIterator(_Batches):
    def __init__(self, client, collection_name, batch_size, limit, filter, output_fields, partition_names,
                 filter_params):
        super().__init__(batch_size, limit)
        self._client, self._collection = client, collection_name
        self._pk = client._pk_name(collection_name)
        self._filter = (filter or "").strip()
        self._fields = output_fields
        self._partitions = partition_names
        self._params = dict(filter_params or {})
        if _AFTER in self._params:
            raise exceptions.ParamError(message=f"filter_params may not use the name {_AFTER}")
        self._after = None

    def next(self):
        wanted = self._wanted()
        if wanted <= 0:
            self._done = True
            return []
        conds = [f"({self._filter})"] if self._filter else []
        params = dict(self._params)
        if self._after is not None:
            conds.append(f"{self._pk} > {{{_AFTER}}}")
            params[_AFTER] = self._after
        rows = self._client.query(self._collection, filter=" and ".join(conds), output_fields=self._fields,
                                  partition_names=self._partitions, limit=wanted,
                                  filter_params=params or None)
        if rows:
            self._after = rows[-1][self._pk]
        return self._deliver(rows, len(rows) < wanted)


class SearchIterator(_Batches):
    def __init__(self, client, collection_name, data, batch_size, limit, filter, output_fields, search_params,
                 partition_names, anns_field, kwargs):
        super().__init__(batch_size, limit)
        queries = data.tolist() if hasattr(data, "tolist") else data
        if isinstance(queries, list) and queries and isinstance(queries[0], (list, tuple, dict, bytes)):
            if len(queries) != 1:
                raise exceptions.ParamError(message="search_iterator takes one query vector")
            queries = queries[0]
        self._client, self._collection, self._data = client, collection_name, queries
        self._filter, self._fields, self._partitions = filter, output_fields, partition_names
        self._anns_field, self._kwargs = anns_field, dict(kwargs)
        sp = dict(search_params or {})
        self._params = dict(sp.get("params") or {})
        for key in ("metric_type", "radius", "range_filter"):
            if key in sp:
                self._params[key] = sp[key]
        metric = str(self._params.get("metric_type") or self._metric()).upper()
        self._larger_is_closer = metric in _SIMILARITIES
        # the far end: the caller's radius, or none
        if "radius" not in self._params:
            self._params["radius"] = -1.7976931348623157e308 if self._larger_is_closer else 1.7976931348623157e308
        self._last = None
        self._seen_at_last = set()

    def _metric(self):
        """The metric of the index on the searched field, else the collection's."""
        desc = self._client._one("SELECT quiver.describe_collection(%s)", (self._collection,))
        field = self._anns_field or next((f["name"] for f in desc["fields"] if f["type"].endswith("VECTOR")), "")
        for name in self._client.list_indexes(self._collection, field_name=field):
            metric = self._client.describe_index(self._collection, name).get("metric_type")
            if metric:
                return metric
        return desc["metric_type"]

    def next(self):
        wanted = self._wanted()
        if wanted <= 0:
            self._done = True
            return []
        params = dict(self._params)
        if self._last is not None:
            # inclusive of the last distance: nudge the (exclusive) inner bound one step closer
            params["range_filter"] = math.nextafter(self._last, math.inf if self._larger_is_closer else -math.inf)
        ask = wanted + len(self._seen_at_last)
        if ask > 16384:
            raise exceptions.MilvusException(message="search_iterator: more than 16384 results share one distance")
        hits = self._client.search(self._collection, data=[self._data], filter=self._filter, limit=ask,
                                   output_fields=self._fields, search_params={"params": params},
                                   partition_names=self._partitions, anns_field=self._anns_field,
                                   **self._kwargs)[0]
        fresh = [h for h in hits if not (h.distance == self._last and h.id in self._seen_at_last)]
        page = fresh[:wanted]
        for h in page:
            if h.distance != self._last:
                self._last, self._seen_at_last = h.distance, set()
            self._seen_at_last.add(h.id)
        return self._deliver(page, len(hits) < ask)
