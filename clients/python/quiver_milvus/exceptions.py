"""pymilvus's exception types. When pymilvus is installed next to this package, these subclass
its classes, so `except pymilvus.exceptions.MilvusException` keeps catching them."""
try:  # pragma: no cover - depends on the environment
    from pymilvus import exceptions as _pm
    _Base, _Param, _PK, _Type = _pm.MilvusException, _pm.ParamError, _pm.PrimaryKeyException, _pm.DataTypeNotMatchException
except ImportError:  # pragma: no cover
    _Base = _Param = _PK = _Type = None

# Milvus's error codes (its common.proto / merr), for the SQLSTATEs quiver raises.
COLLECTION_NOT_FOUND = 100
INDEX_NOT_FOUND = 700
UNEXPECTED_ERROR = 1
ILLEGAL_ARGUMENT = 1100
DUPLICATE = 1101


if _Base is None:
    class MilvusException(Exception):
        def __init__(self, code=UNEXPECTED_ERROR, message="", **_):
            super().__init__(message)
            self._code, self._message = code, message

        @property
        def code(self):
            return self._code

        @property
        def message(self):
            return self._message

        def __str__(self):
            return f"<{type(self).__name__}: (code={self.code}, message={self.message})>"

    class ParamError(MilvusException):
        pass

    class PrimaryKeyException(MilvusException):
        pass

    class DataTypeNotMatchException(MilvusException):
        pass
else:
    class MilvusException(_Base):
        pass

    class ParamError(_Param, MilvusException):
        pass

    class PrimaryKeyException(_PK, MilvusException):
        pass

    class DataTypeNotMatchException(_Type, MilvusException):
        pass


def from_postgres(err):
    """The pymilvus exception for a psycopg error (its SQLSTATE decides the class and code)."""
    state = getattr(err, "sqlstate", None) or ""
    diag = getattr(err, "diag", None)
    message = (diag.message_primary if diag is not None and diag.message_primary else str(err)).strip()
    if state == "42P01" or "does not exist" in message and "collection" in message:
        return MilvusException(code=COLLECTION_NOT_FOUND, message=message)
    if state == "23505":
        return PrimaryKeyException(code=DUPLICATE, message=message)
    if state in ("42804", "22P02"):
        return DataTypeNotMatchException(code=ILLEGAL_ARGUMENT, message=message)
    if state.startswith("22") or state in ("42601", "42703", "42710", "0A000", "23502"):
        return ParamError(code=ILLEGAL_ARGUMENT, message=message)
    return MilvusException(code=UNEXPECTED_ERROR, message=message)
