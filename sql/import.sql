-- Bulk import from server files (see src/import). Runs with the caller's privileges: reading
-- the file needs the privileges of pg_read_server_files, as COPY FROM a file does, and the
-- rows go in through COPY FROM's own path with the caller's INSERT privileges.
CREATE FUNCTION quiver.import_vectors(
    "table" regclass,
    "column" text,
    file text,
    format text DEFAULT NULL,
    id_column text DEFAULT NULL,
    options jsonb DEFAULT NULL
) RETURNS bigint
    AS 'MODULE_PATHNAME', 'import_vectors_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.import_vectors(regclass, text, text, text, text, jsonb) IS
    'load the vectors of a server file (.npy, .fvecs, .bvecs, .ivecs) into a vector or halfvec column; id_column gets each row''s 0-based position (plus options.id_start)';
-- Milvus's bulk insert for collections: row-based JSON (.json: an array of rows or
-- {"rows": [...]}; .jsonl: a row per line), Parquet (a column per field) or NumPy (a .npy
-- file per field, named after it). Rows are validated as quiver.insert validates them; the
-- whole import is one transaction.
CREATE FUNCTION quiver.bulk_insert(
    collection text,
    files text[],
    options jsonb DEFAULT NULL,
    partition_name text DEFAULT NULL
) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'bulk_insert_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.bulk_insert(text, text[], jsonb, text) IS
    'load the rows of server files (.json, .jsonl, .parquet, or one .npy file per field) into a collection, as quiver.insert does';
