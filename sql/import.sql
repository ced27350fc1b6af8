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
