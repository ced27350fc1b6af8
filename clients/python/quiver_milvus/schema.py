"""Schemas and index parameters with pymilvus's names, turned into quiver's JSON documents."""
from enum import IntEnum


class DataType(IntEnum):
    """pymilvus's DataType (same names and values)."""
    NONE = 0
    BOOL = 1
    INT8 = 2
    INT16 = 3
    INT32 = 4
    INT64 = 5
    FLOAT = 10
    DOUBLE = 11
    STRING = 20
    VARCHAR = 21
    ARRAY = 22
    JSON = 23
    BINARY_VECTOR = 100
    FLOAT_VECTOR = 101
    FLOAT16_VECTOR = 102
    BFLOAT16_VECTOR = 103
    SPARSE_FLOAT_VECTOR = 104
    INT8_VECTOR = 105
    UNKNOWN = 999


def data_type(value):
    """A DataType from a DataType, pymilvus's DataType, its value or its name (any case)."""
    if isinstance(value, str):
        return DataType[value.upper()]
    return DataType(int(value))


class FieldSchema:
    def __init__(self, name, dtype, description="", **kwargs):
        self.name = name
        self.dtype = data_type(dtype)
        self.description = description
        self.is_primary = bool(kwargs.pop("is_primary", False))
        self.auto_id = bool(kwargs.pop("auto_id", False))
        self.is_partition_key = bool(kwargs.pop("is_partition_key", False))
        self.nullable = bool(kwargs.pop("nullable", False))
        self.element_type = kwargs.pop("element_type", None)
        self.default_value = kwargs.pop("default_value", None)
        self.params = {k: v for k, v in kwargs.items() if v is not None}

    def to_quiver(self):
        f = {"name": self.name, "type": self.dtype.name}
        if self.description:
            f["description"] = self.description
        for key in ("is_primary", "auto_id", "is_partition_key", "nullable"):
            if getattr(self, key):
                f[key] = True
        if self.element_type is not None:
            f["element_type"] = data_type(self.element_type).name
        if self.default_value is not None:
            f["default_value"] = self.default_value
        for key in ("dim", "max_length", "max_capacity"):
            if key in self.params:
                f[key] = int(self.params[key])
        return f


class CollectionSchema:
    def __init__(self, fields=None, description="", **kwargs):
        self.fields = list(fields or [])
        self.description = description
        self.auto_id = bool(kwargs.get("auto_id", False))
        self.enable_dynamic_field = bool(kwargs.get("enable_dynamic_field", False))
        self.partition_key_field = kwargs.get("partition_key_field")
        self.primary_field = kwargs.get("primary_field")

    def add_field(self, field_name, datatype, is_primary=False, **kwargs):
        self.fields.append(FieldSchema(field_name, datatype, is_primary=is_primary, **kwargs))
        return self

    def to_quiver(self):
        fields = []
        for f in self.fields:
            doc = f.to_quiver()
            if (f.is_primary or f.name == self.primary_field) and self.auto_id:
                doc["auto_id"] = True
            if f.name == self.primary_field:
                doc["is_primary"] = True
            if f.name == self.partition_key_field:
                doc["is_partition_key"] = True
            fields.append(doc)
        return {"fields": fields, "enable_dynamic_field": self.enable_dynamic_field}


class IndexParams(list):
    """pymilvus's IndexParams: add_index(field_name, index_type, index_name, metric_type=..., params=...)."""

    def add_index(self, field_name, index_type="", index_name="", **kwargs):
        entry = {"field_name": field_name}
        if index_type:
            entry["index_type"] = index_type
        if index_name:
            entry["index_name"] = index_name
        params = dict(kwargs.pop("params", None) or {})
        metric = kwargs.pop("metric_type", None) or params.pop("metric_type", None)
        if metric:
            entry["metric_type"] = metric
        params.update(kwargs)
        if params:
            entry["params"] = params
        self.append(entry)
