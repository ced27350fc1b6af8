-- Multi-tenancy with a partition key: 100 tenants hashed into 16 partitions; a search
-- filtered on the tenant reads one partition (EXPLAIN) and returns the exact top 10.
SET client_min_messages = warning;
SELECT setseed(0.5);
SELECT quiver.create_collection('tenants', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "tenant", "type": "VARCHAR", "max_length": 16},
  {"name": "emb", "type": "FLOAT_VECTOR", "dim": 8}]}',
  metric_type => 'l2', partition_key => 'tenant', num_partitions => 16, index => '{"field_name": "emb"}');
SELECT count(*) AS partitions FROM quiver.list_partitions('tenants');
-- 100 tenants x 30 rows
SELECT (quiver.insert('tenants', (
  SELECT jsonb_agg(jsonb_build_object('id', i, 'tenant', 't' || (i % 100),
                                      'emb', (SELECT jsonb_agg(round((random() * 10)::numeric, 3)) FROM generate_series(1, 8) WHERE i > 0)))
    FROM generate_series(1, 3000) i)) ->> 'insert_count')::int AS inserted;
ANALYZE tenants;
-- one partition in the plan
SELECT regexp_replace(line, 'tenants\$[0-9]+', 'tenants$<n>', 'g') AS plan
  FROM quiver.explain_search('tenants', '[5, 5, 5, 5, 5, 5, 5, 5]', filter => 'tenant == "t42"') line;
SELECT count(DISTINCT m[1]) AS partitions_in_plan
  FROM quiver.explain_search('tenants', '[5, 5, 5, 5, 5, 5, 5, 5]', filter => 'tenant == "t42"') line,
       regexp_matches(line, '(tenants\$[0-9]+)', 'g') m;
-- correct top-k for several tenants: the API's ids equal an exact search
CREATE TEMP TABLE q AS SELECT array_agg(round((random() * 10)::numeric, 3))::real[] AS v FROM generate_series(1, 8);
SELECT t, (SELECT array_agg(id::bigint ORDER BY distance, id::bigint)
             FROM quiver.search('tenants', to_jsonb((SELECT v FROM q)), filter => format('tenant == "%s"', t),
                                params => '{"ef": 100}')) =
          (SELECT array_agg(id ORDER BY d, id) FROM (
             SELECT id, emb <-> (SELECT v FROM q)::vector AS d FROM tenants WHERE tenant = t ORDER BY d, id LIMIT 10) x) AS exact
  FROM unnest(ARRAY['t0', 't17', 't42', 't99']) t;
-- every tenant's search returns 10 rows, all of that tenant
SELECT count(*) AS tenants_with_full_results FROM generate_series(0, 99) n
 WHERE (SELECT count(*) FROM quiver.search('tenants', '[1, 2, 3, 4, 5, 6, 7, 8]', filter => format('tenant == "t%s"', n),
                                            output_fields => '{tenant}')
         WHERE entity ->> 'tenant' = 't' || n) = 10;
SELECT err($$SELECT quiver.create_partition('tenants', 'p1')$$);
SELECT err($$SELECT quiver.insert('tenants', '[{"id": 1, "emb": [1,2,3,4,5,6,7,8]}]')$$);
SELECT err($$SELECT * FROM quiver.search('tenants', '[1,2,3,4,5,6,7,8]', partition_names => '{0}')$$);
SELECT quiver.drop_collection('tenants');
