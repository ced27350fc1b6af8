-- Collections: the Milvus programming model as SQL functions in schema quiver.
-- A collection is an ordinary partitioned table plus a row in quiver.collections; pg_dump
-- dumps both (the catalog tables are extension configuration tables).

CREATE TABLE quiver.collections (
    name        text PRIMARY KEY,
    schema_name text NOT NULL,
    definition  jsonb NOT NULL,
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE quiver.collections IS 'quiver collections: name, schema of the table, normalised definition (fields, partitioning, metric)';
CREATE TABLE quiver.aliases (
    alias      text PRIMARY KEY,
    collection text NOT NULL REFERENCES quiver.collections (name) ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE quiver.aliases IS 'alternative names of quiver collections';
SELECT pg_catalog.pg_extension_config_dump('quiver.collections', '');
SELECT pg_catalog.pg_extension_config_dump('quiver.aliases', '');

-- Everyone may read the catalog; a row can be changed only by members of the role that
-- created it (the collection functions run with the caller's privileges).
GRANT USAGE ON SCHEMA quiver TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON quiver.collections, quiver.aliases TO PUBLIC;
ALTER TABLE quiver.collections ENABLE ROW LEVEL SECURITY;
CREATE POLICY collections_read ON quiver.collections FOR SELECT USING (true);
CREATE POLICY collections_insert ON quiver.collections FOR INSERT WITH CHECK (pg_has_role(owner, 'MEMBER'));
CREATE POLICY collections_update ON quiver.collections FOR UPDATE USING (pg_has_role(owner, 'MEMBER'));
CREATE POLICY collections_delete ON quiver.collections FOR DELETE USING (pg_has_role(owner, 'MEMBER'));
-- An alias may be set only by members of the owner of the collection it points to.
ALTER TABLE quiver.aliases ENABLE ROW LEVEL SECURITY;
CREATE POLICY aliases_read ON quiver.aliases FOR SELECT USING (true);
CREATE POLICY aliases_write ON quiver.aliases FOR ALL
    USING (EXISTS (SELECT 1 FROM quiver.collections c WHERE c.name = collection AND pg_has_role(c.owner, 'MEMBER')))
    WITH CHECK (EXISTS (SELECT 1 FROM quiver.collections c WHERE c.name = collection AND pg_has_role(c.owner, 'MEMBER')));

CREATE FUNCTION quiver.create_collection(
    name text, dimension integer DEFAULT NULL, metric text DEFAULT 'cosine', schema jsonb DEFAULT NULL,
    primary_key text DEFAULT 'id', auto_id boolean DEFAULT true, partition_key text DEFAULT NULL,
    num_partitions integer DEFAULT 16, index jsonb DEFAULT NULL, description text DEFAULT NULL,
    id_type text DEFAULT 'int64', vector_field text DEFAULT 'vector', db_schema text DEFAULT NULL)
    RETURNS regclass AS 'MODULE_PATHNAME', 'create_collection_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.describe_collection(name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'describe_collection_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.list_collections() RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_collections_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.has_collection(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'has_collection_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.rename_collection(old_name text, new_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'rename_collection_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.drop_collection(name text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_collection_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.get_collection_stats(name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'get_collection_stats_wrapper' LANGUAGE C STRICT;

CREATE FUNCTION quiver.create_alias(collection text, alias text) RETURNS void
    AS 'MODULE_PATHNAME', 'create_alias_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.alter_alias(collection text, alias text) RETURNS void
    AS 'MODULE_PATHNAME', 'alter_alias_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.drop_alias(alias text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_alias_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.list_aliases(collection text) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_aliases_wrapper' LANGUAGE C STRICT;

CREATE FUNCTION quiver.create_partition(collection text, partition_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'create_partition_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.drop_partition(collection text, partition_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_partition_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.list_partitions(collection text) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_partitions_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.has_partition(collection text, partition_name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'has_partition_wrapper' LANGUAGE C STRICT;

CREATE FUNCTION quiver.create_index(collection text, field_name text, index_type text DEFAULT 'HNSW',
    metric_type text DEFAULT NULL, params jsonb DEFAULT NULL, index_name text DEFAULT NULL) RETURNS void
    AS 'MODULE_PATHNAME', 'create_index_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.describe_index(collection text, index_name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'describe_index_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.list_indexes(collection text) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_indexes_wrapper' LANGUAGE C STRICT;
CREATE FUNCTION quiver.drop_index(collection text, index_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_index_wrapper' LANGUAGE C STRICT;

CREATE FUNCTION quiver.insert(collection text, rows jsonb, partition_name text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'insert_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.upsert(collection text, rows jsonb, partition_name text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'upsert_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.delete(collection text, filter text DEFAULT NULL, ids jsonb DEFAULT NULL,
    partition_name text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'delete_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.get(collection text, ids jsonb, output_fields text[] DEFAULT NULL) RETURNS SETOF jsonb
    AS 'MODULE_PATHNAME', 'get_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.query(collection text, filter text DEFAULT NULL, output_fields text[] DEFAULT NULL,
    "limit" bigint DEFAULT NULL, "offset" bigint DEFAULT 0, partition_names text[] DEFAULT NULL) RETURNS SETOF jsonb
    AS 'MODULE_PATHNAME', 'query_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.count(collection text, filter text DEFAULT NULL, partition_names text[] DEFAULT NULL) RETURNS bigint
    AS 'MODULE_PATHNAME', 'count_wrapper' LANGUAGE C;

CREATE FUNCTION quiver.search(collection text, data jsonb, anns_field text DEFAULT NULL, "limit" bigint DEFAULT 10,
    "offset" bigint DEFAULT 0, filter text DEFAULT NULL, output_fields text[] DEFAULT NULL,
    partition_names text[] DEFAULT NULL, params jsonb DEFAULT NULL)
    RETURNS TABLE (query_index integer, id text, distance double precision, entity jsonb)
    AS 'MODULE_PATHNAME', 'search_wrapper' LANGUAGE C;
CREATE FUNCTION quiver.explain_search(collection text, data jsonb, anns_field text DEFAULT NULL, "limit" bigint DEFAULT 10,
    "offset" bigint DEFAULT 0, filter text DEFAULT NULL, output_fields text[] DEFAULT NULL,
    partition_names text[] DEFAULT NULL, params jsonb DEFAULT NULL) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'explain_search_wrapper' LANGUAGE C;
COMMENT ON FUNCTION quiver.search(text, jsonb, text, bigint, bigint, text, text[], text[], jsonb) IS
    'Nearest neighbours of one query vector or an array of them: (query_index, id, distance, entity). '
    'distance is the L2/Hamming/Jaccard distance, or the inner product / cosine similarity (larger is closer).';
CREATE FUNCTION quiver.hybrid_search(collection text, requests jsonb, ranker text DEFAULT 'rrf',
    ranker_params jsonb DEFAULT NULL, "limit" bigint DEFAULT 10, output_fields text[] DEFAULT NULL)
    RETURNS TABLE (id text, score double precision, entity jsonb)
    AS 'MODULE_PATHNAME', 'hybrid_search_wrapper' LANGUAGE C;
COMMENT ON FUNCTION quiver.hybrid_search(text, jsonb, text, jsonb, bigint, text[]) IS
    'Several searches (each {"data", "anns_field", "limit", "filter", "params"}) fused by rrf (ranker_params {"k": 60}) or weighted ({"weights": [...]}).';
