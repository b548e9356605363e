-- Shards: orders partitioned by hash(customer_id) into foreign tables that live
-- in two other databases of the same cluster (postgres_fdw loopback, each shard
-- with lifecycle installed; test/setup_shards.sh creates them).  With
-- partitionwise aggregation the per-customer aggregates run on the shards (the
-- aggregate appears in the Remote SQL), the states travel back as text, and
-- every answer equals a local run.  Skips when the shard databases or
-- postgres_fdw are missing.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(13);
SET LOCAL TimeZone = 'UTC';

SELECT (SELECT count(*) FROM pg_database WHERE datname IN ('lifecycle_shard1', 'lifecycle_shard2')) = 2
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw') AS have_shards \gset
\if :have_shards

SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
-- loopback servers: host (socket directory or address), port and database of
-- this cluster; functions of lifecycle may be shipped to the shards
DO $$
DECLARE
    host text := coalesce(nullif(trim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                          host(inet_server_addr()), 'localhost');
BEGIN
    FOR i IN 1 .. 2 LOOP
        EXECUTE format('CREATE SERVER lc_shard%s FOREIGN DATA WRAPPER postgres_fdw
                        OPTIONS (host %L, port %L, dbname %L, extensions %L, fetch_size %L, batch_size %L)',
                       i, host, current_setting('port'), 'lifecycle_shard' || i, 'lifecycle', '10000', '1000');
        EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER lc_shard%s OPTIONS (user %L)', i, current_user);
    END LOOP;
END $$;
CREATE TABLE lc_sharded (customer_id bigint, ts timestamptz, amount float8) PARTITION BY HASH (customer_id);
CREATE FOREIGN TABLE lc_sharded_1 PARTITION OF lc_sharded FOR VALUES WITH (MODULUS 2, REMAINDER 0)
    SERVER lc_shard1 OPTIONS (schema_name 'public', table_name 'shard_orders');
CREATE FOREIGN TABLE lc_sharded_2 PARTITION OF lc_sharded FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    SERVER lc_shard2 OPTIONS (schema_name 'public', table_name 'shard_orders');
RESET client_min_messages;

-- the same orders locally and on the shards (the inserts are rolled back on
-- the shards with this transaction)
CREATE TEMP TABLE lc_local AS SELECT customer_id, ordered_at AS ts, amount FROM demo_orders(4000, 9);
INSERT INTO lc_sharded SELECT * FROM lc_local;
SELECT ok((SELECT count(*) FROM lc_sharded_1) > 1000 AND (SELECT count(*) FROM lc_sharded_2) > 1000
          AND (SELECT count(*) FROM lc_sharded) = (SELECT count(*) FROM lc_local),
          'both shards hold orders, and all of them');

SET LOCAL enable_partitionwise_aggregate = on;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; txt text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP txt := txt || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN txt;
END $$;

-- profiles are built on the shards
SELECT matches(pg_temp.plan_of($$SELECT customer_id, customer_profile(ts, amount) FROM lc_sharded GROUP BY customer_id$$),
               'Remote SQL: SELECT customer_id, [a-z_.]*customer_profile\(ts, amount\) FROM public.shard_orders GROUP BY',
               'customer_profile is pushed down to the shards (Remote SQL)');
SELECT doesnt_match(pg_temp.plan_of($$SELECT customer_id, customer_profile(ts, amount) FROM lc_sharded GROUP BY customer_id$$),
                    'HashAggregate|GroupAggregate', 'no aggregation is left on the coordinator');
SELECT set_eq($$SELECT customer_id, customer_profile(ts, amount)::text FROM lc_sharded GROUP BY customer_id$$,
              $$SELECT customer_id, customer_profile(ts, amount)::text FROM lc_local GROUP BY customer_id$$,
              'profiles built on the shards equal local profiles (exact text round trip)');

-- second-level aggregates over shard-built profiles equal local runs
SELECT is((SELECT activity_lifecycle(p, 'month', date '2023-06-01', date '2025-12-31')::text
           FROM (SELECT customer_id, customer_profile(ts, amount) AS p FROM lc_sharded GROUP BY customer_id) s),
          (SELECT activity_lifecycle(p, 'month', date '2023-06-01', date '2025-12-31')::text
           FROM (SELECT customer_id, customer_profile(ts, amount) AS p FROM lc_local GROUP BY customer_id) s),
          'activity_lifecycle over shard-built profiles equals a local run');
-- counts exactly; revenue to 1e-6 (float sums over customers in another order
-- differ in the last bits)
SELECT results_eq(
    $$SELECT t.period, t.eligible, t.active, t.active_or_after, round(t.revenue::numeric, 6)
      FROM retention_table((SELECT cohort_retention(p, 'month', date '2025-12-31')
                            FROM (SELECT customer_id, customer_profile(ts, amount) AS p FROM lc_sharded GROUP BY customer_id) s)) t$$,
    $$SELECT t.period, t.eligible, t.active, t.active_or_after, round(t.revenue::numeric, 6)
      FROM retention_table((SELECT cohort_retention(p, 'month', date '2025-12-31')
                            FROM (SELECT customer_id, customer_profile(ts, amount) AS p FROM lc_local GROUP BY customer_id) s)) t$$,
    'cohort_retention over shard-built profiles equals a local run');
SELECT is((SELECT array_agg(s ORDER BY s)::text FROM (
               SELECT lifecycle_stage(customer_profile(ts, amount), date '2025-06-30') AS s
               FROM lc_sharded GROUP BY customer_id) x),
          (SELECT array_agg(s ORDER BY s)::text FROM (
               SELECT lifecycle_stage(customer_profile(ts, amount), date '2025-06-30') AS s
               FROM lc_local GROUP BY customer_id) x),
          'stages over shard-built profiles equal a local run');

-- retention() runs on the shards too
SELECT matches(pg_temp.plan_of($$SELECT customer_id, retention(ts < '2024-01-01', ts >= '2024-01-01') FROM lc_sharded GROUP BY customer_id$$),
               'Remote SQL: SELECT customer_id, [a-z_.]*retention\(VARIADIC ARRAY\[',
               'retention() is pushed down to the shards (Remote SQL)');
SELECT set_eq($$SELECT customer_id, retention(ts < '2024-01-01', ts >= '2024-01-01') FROM lc_sharded GROUP BY customer_id$$,
              $$SELECT customer_id, retention(ts < '2024-01-01', ts >= '2024-01-01') FROM lc_local GROUP BY customer_id$$,
              'retention() on the shards equals a local run');

-- a state per shard, merged on the coordinator: profiles of a shard, the
-- lifecycle of each shard's customers, rolled up
SELECT is((SELECT rollup(x)::text FROM (
               SELECT activity_lifecycle(p, 'week', date '2024-01-01', date '2024-12-31') AS x
               FROM (SELECT customer_id, customer_profile(ts, amount) AS p FROM lc_sharded GROUP BY customer_id) s
               GROUP BY satisfies_hash_partition('lc_sharded'::regclass, 2, 0, customer_id)) y),
          (SELECT activity_lifecycle(p, 'week', date '2024-01-01', date '2024-12-31')::text
           FROM (SELECT customer_id, customer_profile(ts, amount) AS p FROM lc_local GROUP BY customer_id) s),
          'per-shard lifecycles rolled up equal the whole');

-- cohort_matrix per shard (each shard holds whole customers), curves rolled up
-- per cohort.  PostgreSQL 15's postgres_fdw does not ship it (nor cohort_retention):
-- an aggregate with a collatable argument (the period text) is never pushed down,
-- so each shard's rows come back; the answer is the same either way.
SELECT results_eq(
    $$SELECT x.cohort, t.period, t.eligible, t.active, t.active_or_after, round(t.revenue::numeric, 6)
      FROM (SELECT (c).cohort, rollup((c).curve) AS r
            FROM (SELECT unnest(m) AS c
                  FROM (SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30') AS m FROM lc_sharded_1
                        UNION ALL
                        SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30') FROM lc_sharded_2) s) u
            GROUP BY 1) x, retention_table(x.r) t
      ORDER BY 1, 2$$,
    $$SELECT cohort_start, period, eligible, active, active_or_after, round(revenue::numeric, 6)
      FROM cohort_table((SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30') FROM lc_local))$$,
    'cohort_matrix per shard, curves rolled up per cohort, equals a local run');

-- without partitionwise aggregation the rows come back and are aggregated here
SET LOCAL enable_partitionwise_aggregate = off;
SELECT matches(pg_temp.plan_of($$SELECT customer_id, customer_profile(ts, amount) FROM lc_sharded GROUP BY customer_id$$),
               'Aggregate.*Append.*Foreign Scan', 'without partitionwise aggregation the coordinator aggregates');
SELECT set_eq($$SELECT customer_id, customer_profile(ts, amount)::text FROM lc_sharded GROUP BY customer_id$$,
              $$SELECT customer_id, customer_profile(ts, amount)::text FROM lc_local GROUP BY customer_id$$,
              'and the profiles are the same');

\else
SELECT skip('shard databases (test/setup_shards.sh) or postgres_fdw not available: shard tests not run', 13);
\endif

SELECT * FROM finish();
ROLLBACK;
