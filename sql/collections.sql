-- Collections: the Milvus programming model as SQL functions in schema quiver.
-- A collection is an ordinary partitioned table plus a row in quiver.collections; pg_dump
-- dumps both (the catalog tables are extension configuration tables).
--
-- Every function runs with the caller's privileges and a fixed search_path
-- (pg_catalog, pg_temp): the SQL they generate names quiver's types and operators through
-- the schema the extension was created in, and built-ins through pg_catalog, so nothing on
-- the caller's search_path can change what it runs.
CREATE TABLE quiver.collections (
    name        text PRIMARY KEY,
    schema_name text NOT NULL,
    definition  jsonb NOT NULL,
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    relid       regclass NOT NULL
);
COMMENT ON TABLE quiver.collections IS 'quiver collections: name, schema of the table, normalised definition (fields, partitioning, metric), owner and table';
COMMENT ON COLUMN quiver.collections.relid IS 'the collection''s table (set from schema_name and name on every write; renames of the table follow through an event trigger)';
CREATE TABLE quiver.aliases (
    alias      text PRIMARY KEY,
    collection text NOT NULL REFERENCES quiver.collections (name) ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE quiver.aliases IS 'alternative names of quiver collections';
SELECT pg_catalog.pg_extension_config_dump('quiver.collections', '');
SELECT pg_catalog.pg_extension_config_dump('quiver.aliases', '');

-- Everyone may read the catalog; a row can be changed only by members of the role that
-- owns the collection's table (the collection functions run with the caller's privileges).
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

-- A catalog row describes its own table: the definition names the row's table, the table
-- exists, and only a role with the privileges of the table's owner may write the row (so
-- nobody can make a table they do not own answer to a collection name). relid and owner
-- are derived from the table.
CREATE FUNCTION quiver.collections_check() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel regclass;
    rel_owner oid;
BEGIN
    IF NEW.definition ->> 'name' IS DISTINCT FROM NEW.name OR NEW.definition ->> 'schema' IS DISTINCT FROM NEW.schema_name THEN
        RAISE EXCEPTION 'the definition of collection "%" names table %.%, not the collection''s own table %.%',
            NEW.name, quote_ident(coalesce(NEW.definition ->> 'schema', '?')), quote_ident(coalesce(NEW.definition ->> 'name', '?')),
            quote_ident(NEW.schema_name), quote_ident(NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
    rel := to_regclass(quote_ident(NEW.schema_name) || '.' || quote_ident(NEW.name));
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table %.% of collection "%" does not exist', quote_ident(NEW.schema_name), quote_ident(NEW.name), NEW.name
            USING ERRCODE = 'undefined_table';
    END IF;
    SELECT c.relowner INTO rel_owner FROM pg_class AS c WHERE c.oid = rel;
    IF NOT pg_has_role(rel_owner, 'USAGE') THEN
        RAISE EXCEPTION 'permission denied: only the owner of table % can register it as collection "%"', rel, NEW.name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.relid := rel;
    NEW.owner := pg_get_userbyid(rel_owner);
    RETURN NEW;
END $$;
CREATE TRIGGER collections_check BEFORE INSERT OR UPDATE ON quiver.collections
    FOR EACH ROW EXECUTE FUNCTION quiver.collections_check();

-- DROP TABLE / DROP SCHEMA ... CASCADE of a collection's table removes its catalog row
-- (and aliases). SECURITY DEFINER: the row goes even when the table's owner is not the
-- role recorded in the row; only rows of tables dropped by this very command are touched.
CREATE FUNCTION quiver.catalog_on_drop() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('quiver.collections') IS NULL THEN
        RETURN;  -- DROP EXTENSION quiver
    END IF;
    DELETE FROM quiver.collections AS c
     USING pg_event_trigger_dropped_objects() AS d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = c.relid::oid;
END $$;
CREATE EVENT TRIGGER quiver_catalog_on_drop ON sql_drop EXECUTE FUNCTION quiver.catalog_on_drop();

-- ALTER TABLE on a collection's table: renames and schema moves carry the collection (and
-- its partitions and indexes) along, owner changes are recorded, and dropping or renaming
-- a column that holds a field is refused (quiver.sync_collection_catalog).
CREATE FUNCTION quiver.sync_collection_catalog(relid oid) RETURNS void
    AS 'MODULE_PATHNAME', 'sync_collection_catalog_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.catalog_on_alter() RETURNS event_trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t oid;
BEGIN
    IF to_regclass('quiver.collections') IS NULL THEN
        RETURN;
    END IF;
    FOR t IN SELECT DISTINCT d.objid FROM pg_event_trigger_ddl_commands() AS d
              WHERE d.classid = 'pg_class'::regclass
                AND EXISTS (SELECT FROM quiver.collections AS c WHERE c.relid::oid = d.objid)
    LOOP
        PERFORM quiver.sync_collection_catalog(t);
    END LOOP;
END $$;
CREATE EVENT TRIGGER quiver_catalog_on_alter ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION quiver.catalog_on_alter();

CREATE FUNCTION quiver.create_collection(
    name text, dimension integer DEFAULT NULL, metric_type text DEFAULT 'COSINE', schema jsonb DEFAULT NULL,
    primary_key text DEFAULT 'id', auto_id boolean DEFAULT false, partition_key text DEFAULT NULL,
    num_partitions integer DEFAULT 16, index jsonb DEFAULT NULL, description text DEFAULT NULL,
    id_type text DEFAULT 'int64', vector_field text DEFAULT 'vector', db_schema text DEFAULT pg_catalog.current_schema(),
    consistency_level text DEFAULT NULL, properties jsonb DEFAULT NULL)
    RETURNS regclass AS 'MODULE_PATHNAME', 'create_collection_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.describe_collection(name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'describe_collection_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.list_collections() RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_collections_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.has_collection(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'has_collection_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.rename_collection(old_name text, new_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'rename_collection_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.drop_collection(name text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_collection_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.alter_collection_properties(collection text, properties jsonb) RETURNS void
    AS 'MODULE_PATHNAME', 'alter_collection_properties_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.alter_collection_properties(text, jsonb) IS
    'Sets collection properties (Milvus''s): "collection.ttl.seconds" hides rows older than that from every read '
    '(0: no TTL) and quiver.purge_expired deletes them; "mmap.enabled" is kept; other keys are kept as they are.';
CREATE FUNCTION quiver.drop_collection_properties(collection text, property_keys text[]) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_collection_properties_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.purge_expired(collection text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'purge_expired_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
-- Milvus's load / release / flush / compact. PostgreSQL reads from shared buffers and disk (a
-- collection is always "loaded") and a commit is durable (nothing to flush): these check that
-- the collection exists. compact deletes the rows past the TTL and refreshes the planner's
-- statistics (VACUUM, which cannot run inside a function, is autovacuum's or the DBA's).
CREATE FUNCTION quiver.load_collection(collection text) RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF collection IS NULL THEN
        RAISE EXCEPTION 'collection must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM quiver.describe_collection(collection);
END $$;
CREATE FUNCTION quiver.release_collection(collection text) RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM quiver.load_collection(collection);
END $$;
CREATE FUNCTION quiver.flush(collection text) RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM quiver.load_collection(collection);
END $$;
CREATE FUNCTION quiver.compact(collection text) RETURNS bigint LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    purged bigint;
BEGIN
    PERFORM quiver.load_collection(collection);
    purged := quiver.purge_expired(collection);
    EXECUTE 'ANALYZE ' OPERATOR(pg_catalog.||) (quiver.describe_collection(collection) OPERATOR(pg_catalog.->>) 'table');
    RETURN purged;
END $$;
CREATE FUNCTION quiver.get_collection_stats(name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'get_collection_stats_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION quiver.create_alias(collection text, alias text) RETURNS void
    AS 'MODULE_PATHNAME', 'create_alias_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.alter_alias(collection text, alias text) RETURNS void
    AS 'MODULE_PATHNAME', 'alter_alias_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.drop_alias(alias text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_alias_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.list_aliases(collection text) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_aliases_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION quiver.create_partition(collection text, partition_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'create_partition_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.drop_partition(collection text, partition_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_partition_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.list_partitions(collection text) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_partitions_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.has_partition(collection text, partition_name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'has_partition_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;

-- index_type NULL: HNSW on a vector field, AUTOINDEX (a btree; the field also becomes an
-- attribute column of the collection's hnsw indexes) on a scalar one.
CREATE FUNCTION quiver.create_index(collection text, field_name text, index_type text DEFAULT NULL,
    metric_type text DEFAULT NULL, params jsonb DEFAULT NULL, index_name text DEFAULT NULL, async boolean DEFAULT false) RETURNS bigint
    AS 'MODULE_PATHNAME', 'create_index_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.describe_index(collection text, index_name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'describe_index_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.list_indexes(collection text) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'list_indexes_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.drop_index(collection text, index_name text) RETURNS void
    AS 'MODULE_PATHNAME', 'drop_index_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;

-- upsert with explicit keys in an auto_id collection moves the identity past them; as the
-- extension's owner, so that writers need no privileges on the sequence (it only ever moves
-- forward, to the largest key in the table).
CREATE FUNCTION quiver.sync_collection_identity(relid oid) RETURNS void
    AS 'MODULE_PATHNAME', 'sync_collection_identity_wrapper' LANGUAGE C STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.insert(collection text, rows jsonb, partition_name text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'insert_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.upsert(collection text, rows jsonb, partition_name text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'upsert_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.delete(collection text, filter text DEFAULT NULL, ids jsonb DEFAULT NULL,
    partition_name text DEFAULT NULL, filter_params jsonb DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'delete_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.get(collection text, ids jsonb, output_fields text[] DEFAULT NULL,
    consistency_level text DEFAULT NULL) RETURNS SETOF jsonb
    AS 'MODULE_PATHNAME', 'get_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.query(collection text, filter text DEFAULT NULL, output_fields text[] DEFAULT NULL,
    "limit" bigint DEFAULT NULL, "offset" bigint DEFAULT 0, partition_names text[] DEFAULT NULL,
    filter_params jsonb DEFAULT NULL, ids jsonb DEFAULT NULL, consistency_level text DEFAULT NULL) RETURNS SETOF jsonb
    AS 'MODULE_PATHNAME', 'query_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.count(collection text, filter text DEFAULT NULL, partition_names text[] DEFAULT NULL,
    filter_params jsonb DEFAULT NULL, consistency_level text DEFAULT NULL) RETURNS bigint
    AS 'MODULE_PATHNAME', 'count_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION quiver.search(collection text, data anycompatible, anns_field text DEFAULT NULL, "limit" bigint DEFAULT 10,
    "offset" bigint DEFAULT 0, filter text DEFAULT NULL, output_fields text[] DEFAULT NULL,
    partition_names text[] DEFAULT NULL, params jsonb DEFAULT NULL, filter_params jsonb DEFAULT NULL,
    consistency_level text DEFAULT NULL)
    RETURNS TABLE (query_index integer, id text, distance double precision, entity jsonb)
    AS 'MODULE_PATHNAME', 'search_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION quiver.explain_search(collection text, data anycompatible, anns_field text DEFAULT NULL, "limit" bigint DEFAULT 10,
    "offset" bigint DEFAULT 0, filter text DEFAULT NULL, output_fields text[] DEFAULT NULL,
    partition_names text[] DEFAULT NULL, params jsonb DEFAULT NULL, filter_params jsonb DEFAULT NULL) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'explain_search_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.search(text, anycompatible, text, bigint, bigint, text, text[], text[], jsonb, jsonb, text) IS
    'Nearest neighbours of one query vector or an array of them: (query_index, id, distance, entity). '
    'data is JSON (jsonb, or text holding JSON: an untyped literal such as ''[1, 0, 0]'' is text), '
    'or a vector, halfvec, sparsevec or bit value, or an array of them. '
    'distance is the L2/Hamming/Jaccard distance, or the inner product / cosine similarity (larger is closer).';
CREATE FUNCTION quiver.hybrid_search(collection text, requests jsonb, ranker text DEFAULT 'rrf',
    ranker_params jsonb DEFAULT NULL, "limit" bigint DEFAULT 10, output_fields text[] DEFAULT NULL,
    consistency_level text DEFAULT NULL)
    RETURNS TABLE (id text, score double precision, entity jsonb)
    AS 'MODULE_PATHNAME', 'hybrid_search_wrapper' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.hybrid_search(text, jsonb, text, jsonb, bigint, text[], text) IS
    'Several searches (each {"data", "anns_field", "limit", "filter", "params"}; data may also be a vector''s text form, '
    'e.g. to_jsonb(vector)) fused by rrf (ranker_params {"k": 60}) or weighted ({"weights": [...]}).';
